// Fault suite (short form): plugins die with their host. A host SIGKILLed
// while holding a Go and a TS plugin leaves no orphan within 2 s; the reaper
// sidecar exits too. Without it the Go plugin survived in 12 of 12 trials.
import { hostDeath } from "./faults/host-death.js";

test.each([false, true])("SIGKILL of a host holding a Go and a TS plugin (AutoMTLS %s): both gone within 2 s", async (mtls) => {
  const r = await hostDeath({ trials: 1, mtls });
  expect(r).toMatchObject({ orphans: 0, leftoverHelpers: 0, samples: [] });
  expect(r.maxGoneMs).toBeLessThan(2000);
}, 60_000);
