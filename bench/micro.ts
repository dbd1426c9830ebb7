// Micro-costs behind the profile findings, in one process (no I/O), so they
// are not blurred by scheduling:
//   1. per-call server context as src/rpc/server.ts builds it today
//      (AbortController + "cancelled" listener that grpc-js fires after every
//      call -> new RpcError + abort) vs a lazy one;
//   2. grpc-js's `new Error()` per unary call (caller stack) with the default
//      Error.stackTraceLimit vs 0;
//   3. codec round trip of a 16 B BytesValue (src/rpc/codec.ts).
//
//   npx tsx bench/micro.ts
import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import { BytesValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, RpcError } from "../src/rpc/status.js";
import { messageCodec } from "../src/rpc/codec.js";

function time(label: string, iters: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iters, 20000); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / iters;
  process.stdout.write(`${label.padEnd(64)} ${(ns / 1000).toFixed(2)} µs\n`);
  return ns;
}

const N = 200_000;

// 1. server context
time("ctx today: AbortController + cancelled -> new RpcError + abort", N, () => {
  const call = new EventEmitter();
  const ac = new AbortController();
  call.once("cancelled", () => ac.abort(new RpcError(Code.CANCELLED, "call cancelled")));
  void ac.signal;
  call.emit("cancelled"); // grpc-js does this when the stream closes, also after OK
});
time("ctx lazy: listener only, finished before close (no signal use)", N, () => {
  const call = new EventEmitter();
  let state = 0;
  let ac: AbortController | undefined;
  call.once("cancelled", () => {
    if (state !== 0) return;
    state = 1;
    ac?.abort(new RpcError(Code.CANCELLED, "call cancelled"));
  });
  state = 2;
  call.emit("cancelled");
});
time("new RpcError only", N, () => void new RpcError(Code.CANCELLED, "call cancelled"));

// 2. caller-stack Error, from a few frames deep like makeUnaryRequest
const deep = (n: number): unknown => (n === 0 ? new Error() : deep(n - 1));
time("new Error() 8 frames deep, stackTraceLimit default", N, () => void deep(8));
time("new Error() 8 frames deep, stackTraceLimit = 0", N, () => {
  const l = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    void deep(8);
  } finally {
    Error.stackTraceLimit = l;
  }
});

// 3. codec
const codec = messageCodec(BytesValueSchema);
const value = new Uint8Array(16).fill(7);
const wire = codec.serialize({ value });
time("codec.serialize({value: 16 B}) (create + toBinary + Buffer view)", N, () => void codec.serialize({ value }));
const msg = create(BytesValueSchema, { value });
time("codec.serialize(message) (isMessage path)", N, () => void codec.serialize(msg));
time("codec.deserialize(16 B BytesValue)", N, () => void codec.deserialize(wire));
