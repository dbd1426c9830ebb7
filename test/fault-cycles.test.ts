// Fault suite (short form; `npm run soak` runs 1000 per kind): start/kill
// cycles with leaked processes, zombies, fds and socket files counted.
import { startKillCycles } from "./faults/cycles.js";

test.each(["go", "ts"] as const)("50 start/kill cycles of a %s plugin leave nothing behind", async (kind) => {
  const r = await startKillCycles({ kind, cycles: 50, concurrency: 3 });
  expect(r.samples).toEqual([]);
  expect(r).toMatchObject({ failures: 0, forceKills: 0, leakedProcesses: 0, zombies: 0, socketFiles: 0 });
  expect(r.fdDelta).toBeLessThanOrEqual(0);
}, 180_000);
