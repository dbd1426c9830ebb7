// Shared plumbing of bench/run.ts and bench/profile.ts: bundling the TS host
// and plugin, running a host process with a deadline, and making sure nothing
// it spawned outlives it (processes or socket files).
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "..", "..");
export const BUILD = join(ROOT, "bench", ".build");
export const GO_HOST = join(ROOT, "interop", ".bin", "goplugin-host");
export const GO_PLUGIN = join(ROOT, "interop", ".bin", "goplugin-test");
export const TS_HOST = join(BUILD, "ts-host.mjs");
export const TS_PLUGIN = join(BUILD, "ts-plugin.mjs");
/** LOOP median round hosts (Go: interop/loop/cmd/host; TS: bench/loop-ts-host.ts) and chainlink-common's test plugin. */
export const LOOP_GO_HOST = join(ROOT, "interop", ".bin", "loop-host");
export const LOOP_TS_HOST = join(BUILD, "loop-ts-host.mjs");
/** LOOP recovery (SIGKILL → next GetChainStatus): Go's `loop-host -recover N`, TS's bench/loop-ts-recovery.ts. */
export const LOOP_TS_RECOVERY = join(BUILD, "loop-ts-recovery.mjs");
export const LOOP_PLUGIN = join(ROOT, "interop", ".bin", "loop-test-plugin");

export type Side = "go" | "ts";

/**
 * Bundles the TS host and plugin with esbuild, so that neither pays for tsx
 * at start. Packages stay external; the bundles live inside the repo, so
 * node resolves @grpc/grpc-js etc. from its node_modules.
 */
export function buildBundles(): void {
  const esbuild = join(ROOT, "node_modules", ".bin", "esbuild");
  for (const [entry, out] of [
    ["test/fixtures/ts-plugin.ts", TS_PLUGIN],
    ["bench/ts-host.ts", TS_HOST],
    ["bench/loop-ts-host.ts", LOOP_TS_HOST],
    ["bench/loop-ts-recovery.ts", LOOP_TS_RECOVERY],
  ] as const) {
    execFileSync(
      esbuild,
      [entry, "--bundle", "--platform=node", "--format=esm", "--target=node20", `--outfile=${out}`, "--packages=external", "--log-level=warning"],
      { cwd: ROOT, stdio: "inherit" },
    );
  }
  for (const f of [GO_HOST, GO_PLUGIN, TS_HOST, TS_PLUGIN, LOOP_GO_HOST, LOOP_TS_HOST, LOOP_TS_RECOVERY, LOOP_PLUGIN]) {
    if (!existsSync(f)) throw new Error(`missing ${f} (run node scripts/interop-build.mjs)`);
  }
}

/**
 * What runs the TS side of a pair: which node binary and which gRPC engine
 * (passed to every TS process as GO_PLUGIN_TS_ENGINE; a Go host hands its
 * environment on to the plugin it launches, as go-plugin does).
 */
export interface TsRuntime {
  node: string;
  /** `process.version` of that binary. */
  version: string;
  engine: "h2" | "grpc-js";
}

export function pluginCommand(side: Side, nodeFlags: string[] = [], rt?: TsRuntime): string {
  return side === "go" ? shq(GO_PLUGIN) : [rt ? shq(rt.node) : "node", ...nodeFlags, shq(TS_PLUGIN)].join(" ");
}

export function hostArgv(side: Side, nodeFlags: string[] = [], tsHost = TS_HOST, goHost = GO_HOST, node = process.execPath): [string, string[]] {
  return side === "go" ? [goHost, []] : [node, [...nodeFlags, tsHost]];
}

function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A private world for the child processes: its own TMPDIR (so socket files
 * left behind can be seen, and are not confused with anyone else's) and a
 * marker variable every descendant inherits (so stray processes can be
 * found by their environment and stopped by pid).
 */
export class Sandbox {
  readonly marker = randomUUID();
  readonly tmp = mkdtempSync(join(tmpdir(), "gpbench-"));
  readonly leaks: string[] = [];

  env(): NodeJS.ProcessEnv {
    return { ...process.env, TMPDIR: this.tmp, GOPLUGIN_BENCH_RUN: this.marker };
  }

  /** Pids of live processes carrying our marker. */
  strays(): number[] {
    const out: number[] = [];
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        const env = readFileSync(`/proc/${d}/environ`, "latin1");
        if (!env.includes(`GOPLUGIN_BENCH_RUN=${this.marker}`)) continue;
        const stat = readFileSync(`/proc/${d}/stat`, "latin1");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue; // zombie, already dead
        out.push(Number(d));
      } catch {
        // gone, or not ours to read
      }
    }
    return out;
  }

  /**
   * What a finished run left behind: live processes (SIGKILLed by pid) and
   * files in the private TMPDIR (removed). Also kept in `leaks`.
   */
  async check(label: string): Promise<{ processes: string[]; files: string[] }> {
    const processes: string[] = [];
    const files: string[] = [];
    // Give exiting children a moment to go.
    for (let i = 0; i < 20 && this.strays().length; i++) await sleep(50);
    for (const pid of this.strays()) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ").trim();
      } catch {
        // gone
      }
      processes.push(`process ${pid} (${cmd})`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    for (const f of readdirSync(this.tmp)) {
      files.push(f);
      rmSync(join(this.tmp, f), { recursive: true, force: true });
    }
    for (const p of processes) this.leaks.push(`${label}: ${p} still running after the host exited; SIGKILLed`);
    if (files.length) this.leaks.push(`${label}: ${files.length} file(s) left in TMPDIR (${files.slice(0, 3).join(", ")}${files.length > 3 ? ", …" : ""}); removed`);
    return { processes, files };
  }

  dispose(): void {
    for (const pid of this.strays()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type HostResult = Record<string, unknown> & { ok: boolean; error: string };

/**
 * Runs one host process and returns its JSON line. On timeout the host's
 * process group is killed (the plugins have their own groups; Sandbox.check
 * finds them).
 */
export async function runHost(
  sandbox: Sandbox,
  host: Side,
  args: string[],
  opts: { timeoutMs?: number; nodeFlags?: string[]; cwd?: string; hostScript?: string; goHost?: string; rt?: TsRuntime } = {},
): Promise<HostResult> {
  const [cmd, pre] = hostArgv(host, opts.nodeFlags, opts.hostScript, opts.goHost, opts.rt?.node);
  const env = sandbox.env();
  if (opts.rt) env.GO_PLUGIN_TS_ENGINE = opts.rt.engine;
  const child = spawn(cmd, [...pre, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }, opts.timeoutMs ?? 180_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (line) {
    let r: HostResult | undefined;
    try {
      r = JSON.parse(line) as HostResult;
    } catch {
      // fall through
    }
    // A TS host names the engine and node it ran on: a row must measure what it is labelled with.
    if (r && opts.rt && host === "ts" && (r.engine !== opts.rt.engine || r.node !== opts.rt.version)) {
      return { ...r, ok: false, error: `asked for ${opts.rt.version} ${opts.rt.engine}, the host ran ${String(r.node)} ${String(r.engine)}` };
    }
    if (r) return r;
  }
  const why = timedOut ? "timed out" : `exited with ${code}`;
  return { ok: false, error: `${host} host ${why} without a JSON line; stderr: ${stderr.trim().slice(-500)}` };
}

export function goVersion(): string {
  try {
    return execFileSync("go", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
