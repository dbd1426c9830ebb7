// Fault suite (short form; `npm run soak` runs 1 M cases each): property-based
// fuzzing of the parsers fed by plugin output.
import { fuzzHandshake, fuzzLogLines } from "./faults/fuzz.js";

test("handshake line parser: 10 k arbitrary lines, only PluginError comes out, messages escaped", () => {
  const r = fuzzHandshake(10_000);
  expect(r.counterexample).toBeUndefined();
  expect(r.failures).toBe(0);
});

test("stderr log-line parser: 10 k arbitrary lines, never throws, always a valid record", () => {
  const r = fuzzLogLines(10_000);
  expect(r.counterexample).toBeUndefined();
  expect(r.failures).toBe(0);
});
