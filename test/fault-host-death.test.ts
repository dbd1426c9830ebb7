// Plugins die with their host: a host SIGKILLed while holding a Go and a TS
// plugin leaves no orphan (the reaper sidecar kills their process groups).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { processAlive, ROOT } from "./helpers.js";

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function goneWithin(pids: number[], ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(processAlive);
    if (alive.length === 0 || Date.now() > end) return alive;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.each([[[]], [["--mtls"]]])("SIGKILL of a host holding a Go and a TS plugin (%j): both gone within 2 s", async (args) => {
  const host = spawn(process.execPath, ["--import", "tsx", "test/fixtures/held-host.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    host.once("exit", () => reject(new Error(`host exited early: ${out}`)));
  });
  const { pids } = JSON.parse(line) as { pids: number[] };
  // The host's children: both plugins and the reaper sidecar.
  const children = childrenOf(host.pid!);
  expect(children).toEqual(expect.arrayContaining(pids));
  expect(children).toHaveLength(3);
  expect(pids.every(processAlive)).toBe(true);
  host.kill("SIGKILL");
  expect(await goneWithin(pids, 2000)).toEqual([]);
  // The sidecar itself does not outlive its work.
  expect(await goneWithin(children, 2000)).toEqual([]);
}, 60_000);
