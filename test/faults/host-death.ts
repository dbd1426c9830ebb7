// Host SIGKILL: a host holding a Go and a TS plugin is SIGKILLed; orphans
// (plugins or the reaper sidecar still alive after `withinMs`) are counted.
import { spawn } from "node:child_process";
import { processAlive, ROOT } from "../helpers.js";
import { childrenOf, eventually } from "./proc.js";

export interface HostDeathResult {
  trials: number;
  /** Plugin processes alive `withinMs` after their host was SIGKILLed. */
  orphans: number;
  /** Other children of the host (the reaper sidecar) still alive then. */
  leftoverHelpers: number;
  /** Slowest time from the host's SIGKILL to its last plugin gone, ms. */
  maxGoneMs: number;
  samples: string[];
}

async function heldHost(mtls: boolean): Promise<{ host: ReturnType<typeof spawn>; pids: number[] }> {
  const host = spawn(process.execPath, ["--import", "tsx", "test/fixtures/held-host.ts", ...(mtls ? ["--mtls"] : [])], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    host.once("exit", () => reject(new Error(`host exited early: ${out}`)));
  });
  return { host, pids: (JSON.parse(line) as { pids: number[] }).pids };
}

export async function hostDeath(o: { trials: number; mtls: boolean; withinMs?: number }): Promise<HostDeathResult> {
  const within = o.withinMs ?? 2000;
  const r: HostDeathResult = { trials: o.trials, orphans: 0, leftoverHelpers: 0, maxGoneMs: 0, samples: [] };
  for (let i = 0; i < o.trials; i++) {
    const { host, pids } = await heldHost(o.mtls);
    const helpers = childrenOf(host.pid!).filter((c) => !pids.includes(c));
    if (!pids.every(processAlive)) r.samples.push(`trial ${i}: a plugin was not running before the kill`);
    const t0 = Date.now();
    host.kill("SIGKILL");
    await eventually(() => !pids.some(processAlive), within);
    r.maxGoneMs = Math.max(r.maxGoneMs, Date.now() - t0);
    const alive = pids.filter(processAlive);
    r.orphans += alive.length;
    if (alive.length && r.samples.length < 5) r.samples.push(`trial ${i}: still alive after ${within} ms: ${alive.join(", ")}`);
    await eventually(() => !helpers.some(processAlive), within);
    r.leftoverHelpers += helpers.filter(processAlive).length;
    // Never leave anything behind, even when the assertion is about to fail.
    for (const p of [...alive, ...helpers]) {
      try {
        process.kill(-p, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  return r;
}
