import { PassThrough, Duplex } from "node:stream";
import { DeferredDuplex } from "./deferred-duplex.js";

/** Two ends of an in-memory pipe. */
function pipePair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const pair: [Duplex, Duplex] = [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })];
  // Duplex.from reports its own destruction as an AbortError.
  for (const end of pair) end.on("error", () => {});
  return pair;
}

test("writes made before the far end opens arrive in order; replies come back", async () => {
  const [near, far] = pipePair();
  let open!: (d: Duplex) => void;
  const d = new DeferredDuplex(() => new Promise((r) => (open = r)));
  d.write("one ");
  d.write("two");
  const got: Buffer[] = [];
  far.on("data", (c: Buffer) => got.push(c));
  open(near);
  await new Promise((r) => setTimeout(r, 10));
  expect(Buffer.concat(got).toString()).toBe("one two");
  far.write("back");
  const [reply] = (await new Promise((r) => d.once("data", (c) => r([c])))) as Buffer[];
  expect(reply!.toString()).toBe("back");
  d.destroy();
});

test("a failed open destroys the stream with its error", async () => {
  const d = new DeferredDuplex(() => Promise.reject(new Error("knock refused")));
  const err = await new Promise<Error>((r) => d.once("error", r));
  expect(err.message).toBe("knock refused");
  expect(d.destroyed).toBe(true);
});

test("destroyed before the far end opens: the far end is destroyed when it comes", async () => {
  const [near] = pipePair();
  let open!: (d: Duplex) => void;
  const d = new DeferredDuplex(() => new Promise((r) => (open = r)));
  d.destroy();
  open(near);
  await new Promise((r) => setTimeout(r, 10));
  expect(near.destroyed).toBe(true);
});
