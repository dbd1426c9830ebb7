import * as grpc from "@grpc/grpc-js";
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { messageCodec } from "./codec.js";
import { RpcError } from "./status.js";

/** Per-call options of typed clients. */
export interface CallOptions {
  /** Aborting cancels the call (the server sees CANCELLED). */
  signal?: AbortSignal;
  /** Absolute deadline, or milliseconds from now. */
  deadline?: Date | number;
  metadata?: grpc.Metadata;
}

type In<M extends GenServiceMethods[string]> = MessageInitShape<M["input"]>;
type Out<M extends GenServiceMethods[string]> = MessageShape<M["output"]>;

export type MethodClient<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (req: In<M>, opts?: CallOptions) => Promise<Out<M>>
  : M["methodKind"] extends "server_streaming"
    ? (req: In<M>, opts?: CallOptions) => AsyncIterable<Out<M>>
    : M["methodKind"] extends "client_streaming"
      ? (reqs: AsyncIterable<In<M>>, opts?: CallOptions) => Promise<Out<M>>
      : (reqs: AsyncIterable<In<M>>, opts?: CallOptions) => AsyncIterable<Out<M>>;

/** A typed client: one async function per RPC, named like protobuf-es's local names. */
export type ServiceClient<S extends GenServiceMethods> = { [K in keyof S]: MethodClient<S[K]> };

/** Builds a typed client for `desc` on an existing grpc-js channel (a `grpc.Client`). */
export function createClient<S extends GenServiceMethods>(
  desc: GenService<S>,
  channel: grpc.Client,
): ServiceClient<S> {
  const client: Record<string, unknown> = {};
  for (const m of (desc as unknown as DescService).methods) {
    client[m.localName] = methodClient(channel, `/${m.parent.typeName}/${m.name}`, m);
  }
  return client as ServiceClient<S>;
}

function callOptions(opts: CallOptions | undefined): grpc.CallOptions {
  if (opts?.deadline === undefined) return {};
  const d = opts.deadline;
  return { deadline: typeof d === "number" ? Date.now() + d : d };
}

function bindSignal(call: grpc.Call, signal: AbortSignal | undefined): void {
  if (!signal) return;
  if (signal.aborted) return call.cancel();
  const onAbort = () => call.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  call.on("status", () => signal.removeEventListener("abort", onAbort));
}

async function* readAll<T>(stream: AsyncIterable<unknown>): AsyncIterable<T> {
  try {
    for await (const msg of stream) yield msg as T;
  } catch (err) {
    throw RpcError.from(err);
  }
}

async function writeAll(call: grpc.ClientWritableStream<unknown>, reqs: AsyncIterable<unknown>) {
  try {
    for await (const req of reqs) {
      if (!call.write(req)) await new Promise((r) => call.once("drain", r));
    }
  } finally {
    call.end();
  }
}

/**
 * Runs `start` without stack capture: grpc-js records the caller's stack in a
 * new Error on every call, which we never use (failures become RpcErrors).
 */
function withoutStack<T>(start: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return start();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function methodClient(channel: grpc.Client, path: string, m: DescMethod): unknown {
  const input = messageCodec(m.input);
  const output = messageCodec(m.output);
  const ser = input.serialize as (v: unknown) => Buffer;
  const de = output.deserialize;
  switch (m.methodKind) {
    case "unary":
      return (req: unknown, opts?: CallOptions) =>
        new Promise((resolve, reject) => {
          const call = withoutStack(() =>
            channel.makeUnaryRequest(
              path, ser, de, req, opts?.metadata ?? new grpc.Metadata(), callOptions(opts),
              (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
            ),
          );
          bindSignal(call, opts?.signal);
        });
    case "server_streaming":
      return (req: unknown, opts?: CallOptions) => {
        const call = withoutStack(() =>
          channel.makeServerStreamRequest(path, ser, de, req, opts?.metadata ?? new grpc.Metadata(), callOptions(opts)),
        );
        bindSignal(call, opts?.signal);
        return readAll(call);
      };
    case "client_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) =>
        new Promise((resolve, reject) => {
          const call = withoutStack(() =>
            channel.makeClientStreamRequest(
              path, ser, de, opts?.metadata ?? new grpc.Metadata(), callOptions(opts),
              (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
            ),
          );
          bindSignal(call, opts?.signal);
          writeAll(call, reqs).catch(() => call.cancel());
        });
    case "bidi_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) => {
        const call = withoutStack(() =>
          channel.makeBidiStreamRequest(path, ser, de, opts?.metadata ?? new grpc.Metadata(), callOptions(opts)),
        );
        bindSignal(call, opts?.signal);
        writeAll(call, reqs).catch(() => call.cancel());
        return readAll(call);
      };
  }
}

/** The typed client of a generated service: `ClientOf<typeof KV>`. */
export type ClientOf<D> = D extends GenService<infer S> ? ServiceClient<S> : never;
