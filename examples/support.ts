// Helpers shared by examples/kv/demo.ts and test/examples.test.ts: how to run
// the TypeScript hosts and plugins from any directory, run a host CLI once,
// and read what its log says about the plugin it launched.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "..", "..");
export const BIN = join(ROOT, "interop", ".bin");

/**
 * tsx's loader as a file URL, so that `node --import <url> x.ts` works whatever
 * the working directory (a bare `--import tsx` resolves from the cwd).
 */
export function tsxLoaderUrl(): string {
  const require = createRequire(join(ROOT, "package.json"));
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, unknown> };
  const entry = pkg.exports["."];
  const rel = typeof entry === "string" ? entry : (entry as { import?: string; default?: string }).import ?? "./dist/loader.mjs";
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/** argv that runs a TypeScript file under node + tsx (no tsx CLI, so no extra process). */
export function nodeTs(script: string): string[] {
  return [process.execPath, "--import", tsxLoaderUrl(), join(ROOT, script)];
}

/** Quotes argv for `sh -c`. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export interface HostRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a host CLI to completion. */
export function runHost(
  argv: readonly string[],
  opts: { cwd: string; env: Record<string, string | undefined>; timeoutMs?: number },
): Promise<HostRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - t0) });
    });
  });
}

/** What a host's debug log tells about one plugin launch. */
export interface LaunchTrace {
  /** App protocol version the plugin chose ("using plugin: version=N"). */
  version?: number;
  /** Listener the plugin announced in its handshake (its "plugin address" log line). */
  network?: string;
  address?: string;
  /** pid of the `sh -c` child the host started. */
  shellPid?: number;
  /** pid of a TypeScript plugin (it logs it at startup). */
  pluginPid?: number;
}

/**
 * Reads a LaunchTrace from hclog-style text lines (Go host or TS host at debug
 * level). Fields are looked up one by one: a Go host re-prints the fields of a
 * plugin's JSON log lines in no fixed order.
 */
export function parseLaunch(stderr: string): LaunchTrace {
  const t: LaunchTrace = {};
  const field = (line: string, key: string) => new RegExp(`\\b${key}=(\\S+)`).exec(line)?.[1];
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  for (const line of stderr.split("\n")) {
    if (line.includes(" using plugin:")) t.version = num(field(line, "version"));
    else if (line.includes(" plugin address:")) {
      t.address = field(line, "address");
      t.network = field(line, "network");
    } else if (line.includes(" plugin started:")) t.shellPid = num(field(line, "pid"));
    else if (line.includes(" plugin starting:")) t.pluginPid = num(field(line, "pid"));
  }
  return t;
}

/** pids of live processes whose working directory is `dir` or below it (Linux /proc; [] elsewhere). */
export function processesUnder(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + sep)) out.push(Number(e));
    } catch {
      // gone, or not ours to inspect
    }
  }
  return out;
}

/** One AddHelper.Sum callback as a log line reports it (the counter example). */
export interface SumCallback {
  a: string;
  b: string;
  r?: string;
  brokerId?: number;
}

/**
 * Callbacks from the TS counter plugin's "host AddHelper called back" lines, or
 * else the TS counter host's "AddHelper.Sum" lines. Fields are matched one by
 * one: a Go host re-prints a plugin's JSON fields in no fixed order.
 */
export function parseSumCallbacks(stderr: string): SumCallback[] {
  const lines = stderr.split("\n");
  const fromPlugin = lines.filter((l) => l.includes("host AddHelper called back:"));
  if (fromPlugin.length) {
    return fromPlugin.map((l) => {
      const [, a = "?", b = "?", r] = /\bsum="?(-?\d+)\+(-?\d+)=(-?\d+)/.exec(l) ?? [];
      const id = /\bbroker_id=(\d+)/.exec(l)?.[1];
      return { a, b, r, brokerId: id === undefined ? undefined : Number(id) };
    });
  }
  return lines
    .filter((l) => l.includes("AddHelper.Sum:"))
    .map((l) => ({ a: /\ba=(-?\d+)/.exec(l)?.[1] ?? "?", b: /\bb=(-?\d+)/.exec(l)?.[1] ?? "?" }));
}
