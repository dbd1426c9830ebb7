import { execFile } from "node:child_process";
import { grpcJsClient } from "../src/rpc/grpc-js-handles.js";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { H2Channel, type Channel, type HandshakeConfig, type LogEntry, type Logger } from "../src/index.js";

export const ROOT = join(fileURLToPath(import.meta.url), "..", "..");
export const BIN = join(ROOT, "interop", ".bin");
export const GO_PLUGIN = join(BIN, "goplugin-test");
export const GO_HOST = join(BIN, "goplugin-host");
export const TS_PLUGIN = join(ROOT, "test", "fixtures", "ts-plugin.ts");

export const TEST_HANDSHAKE: HandshakeConfig = {
  protocolVersion: 1,
  magicCookieKey: "TEST_MAGIC_COOKIE",
  magicCookieValue: "test",
};

/** The command that runs the TS test plugin with `args`. */
export function tsPluginCmd(...args: string[]) {
  return { command: process.execPath, args: ["--import", "tsx", TS_PLUGIN, ...args], cwd: ROOT };
}
export function goPluginCmd(...args: string[]) {
  return { command: GO_PLUGIN, args };
}
/** Shell form of the TS plugin command, for Go hosts that run `sh -c`. */
export function tsPluginShell(...args: string[]): string {
  return [process.execPath, "--import", "tsx", TS_PLUGIN, ...args].map((a) => `'${a}'`).join(" ");
}

/** A Logger that keeps every record, for assertions. */
export function collectingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { entries, log: (e) => entries.push(e) };
}

/** A private temp dir; `assertEmptyAndRemove` fails when anything was left in it. */
export function scratchDir(): { path: string; leftovers(): string[]; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "gpt-"));
  return {
    path,
    leftovers: () => (existsSync(path) ? readdirSync(path) : []),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** True if `pid` runs (a zombie waiting for a reaper counts as gone). */
export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle) && processAlive(Number(d))) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Runs the Go test host and returns its JSON report. */
export function runGoHost(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(
      GO_HOST,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, cwd: ROOT },
      (err, stdout, stderr) => {
        const text = stdout.trim();
        const last = text.split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`go host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      },
    );
  });
}

/** The address a channel of either engine dials, as a grpc-js target string. */
export function targetOf(ch: Channel): string {
  if (ch instanceof H2Channel) return typeof ch.target === "function" ? "(stream)" : `${ch.target.network}://${ch.target.address}`;
  return grpcJsClient(ch).getChannel().getTarget();
}
