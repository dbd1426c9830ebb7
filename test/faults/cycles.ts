// Start/kill cycles: every cycle starts a plugin, calls it, kills it; leaks
// of processes, zombies, fds and socket files are counted at the end.
import { lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../src/index.js";
import { reaper } from "../../src/goplugin/reaper.js";
import { goPluginCmd, processAlive, TEST_HANDSHAKE, tsPluginCmd } from "../helpers.js";
import { childrenOf, eventually, openFds, processState } from "./proc.js";

export interface CycleOptions {
  kind: "go" | "ts";
  cycles: number;
  autoMTLS?: boolean;
  /** Clients alive at once. */
  concurrency?: number;
}

export interface CycleResult {
  kind: "go" | "ts";
  cycles: number;
  failures: number;
  forceKills: number;
  leakedProcesses: number;
  zombies: number;
  fdDelta: number;
  socketFiles: number;
  seconds: number;
  samples: string[];
}

export async function startKillCycles(o: CycleOptions): Promise<CycleResult> {
  // The plugins' temp dir: their sockets must all be gone at the end.
  const dir = mkdtempSync(join(tmpdir(), "gpt-cycles-"));
  const baseCmd = o.kind === "go" ? goPluginCmd() : tsPluginCmd();
  const cmd = { ...baseCmd, env: { TMPDIR: dir } };
  // The host-death reaper holds one pipe for the host's lifetime: start it before counting.
  reaper();
  const fdsBefore = openFds();
  const childrenBefore = new Set(childrenOf(process.pid));
  const pids: number[] = [];
  const r: CycleResult = { kind: o.kind, cycles: o.cycles, failures: 0, forceKills: 0, leakedProcesses: 0, zombies: 0, fdDelta: 0, socketFiles: 0, seconds: 0, samples: [] };
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < o.cycles) {
      const i = next++;
      // A generous grace: a graceful exit is expected even on a loaded machine.
      const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd, autoMTLS: o.autoMTLS, stdin: "ignore", logger: { log() {} }, killGraceMs: 10_000 });
      try {
        await client.ping();
      } catch (e) {
        r.failures++;
        if (r.samples.length < 5) r.samples.push(`cycle ${i}: ${(e as Error).message.split("\n")[0]}`);
      }
      await client.kill();
      if (client.pid) pids.push(client.pid);
      if (client.forceKilled) r.forceKills++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 2 }, worker));
  r.seconds = (Date.now() - t0) / 1000;
  await eventually(() => pids.every((p) => !processAlive(p)), 3000);
  r.leakedProcesses = pids.filter(processAlive).length;
  const newChildren = childrenOf(process.pid).filter((c) => !childrenBefore.has(c));
  r.zombies = newChildren.filter((c) => processState(c) === "Z").length;
  // Sockets and pipes close a tick after the process is reaped.
  await eventually(() => openFds() <= fdsBefore, 2000);
  r.fdDelta = openFds() - fdsBefore;
  // Only sockets count: tsx keeps its compile cache in the temp dir too.
  const sockets = readdirSync(dir).filter((f) => lstatSync(join(dir, f)).isSocket());
  r.socketFiles = sockets.length;
  if (r.socketFiles && r.samples.length < 5) r.samples.push(`sockets left in ${dir}: ${sockets.slice(0, 3).join(", ")}`);
  rmSync(dir, { recursive: true, force: true });
  return r;
}
