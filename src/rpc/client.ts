import * as grpc from "@grpc/grpc-js";
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { CallOptions } from "./call-options.js";
import { messageCodec } from "./codec.js";
import { Code, RpcError } from "./status.js";
import { fromGrpcJs, toGrpcJs } from "./grpc-js-metadata.js";
import { Metadata } from "./metadata.js";
import { channelObservers, observedStub } from "./client-observe.js";
import { H2Channel } from "./h2-channel.js";
import type { GrpcJsChannel } from "./handles.js";
import { grpcJsClient } from "./grpc-js-handles.js";
import { h2MethodClient } from "./h2-client-stubs.js";

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

export type { CallOptions };

/** A client channel of either engine: the node:http2 `H2Channel`, or one on grpc-js. */
export type Channel = H2Channel | GrpcJsChannel;

/** Builds a typed client for `desc` on an existing channel of either engine. */
export function createClient<S extends GenServiceMethods>(
  desc: GenService<S>,
  channel: Channel,
): ServiceClient<S> {
  const client: Record<string, unknown> = {};
  const observation = channelObservers(channel);
  for (const m of (desc as unknown as DescService).methods) {
    const path = `/${m.parent.typeName}/${m.name}`;
    const stub = channel instanceof H2Channel ? h2MethodClient(channel, path, m) : methodClient(grpcJsClient(channel), path, m);
    client[m.localName] = observation ? observedStub(stub as Parameters<typeof observedStub>[0], path, m, observation.observers, observation.peer) : stub;
  }
  return client as ServiceClient<S>;
}

function callOptions(opts: CallOptions | undefined): grpc.CallOptions {
  if (opts?.deadline === undefined) return {};
  const d = opts.deadline;
  return { deadline: typeof d === "number" ? Date.now() + d : d };
}

/** Hands response headers and trailers to the caller's `onHeader`/`onTrailer`. */
function bindMetadata(call: grpc.Call, opts: CallOptions | undefined): void {
  if (opts?.onHeader) {
    const onHeader = opts.onHeader;
    call.on("metadata", (md: grpc.Metadata) => onHeader(fromGrpcJs(md)));
  }
  if (opts?.onTrailer) {
    const onTrailer = opts.onTrailer;
    call.on("status", (s: grpc.StatusObject) => onTrailer(fromGrpcJs(s.metadata)));
  }
}

/** Request metadata for grpc-js. */
function requestMetadata(opts: CallOptions | undefined): grpc.Metadata {
  const md = opts?.metadata;
  return toGrpcJs(md === undefined || md instanceof Metadata ? md : new Metadata(md));
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
  // A call that has its status takes nothing more, and may never drain: both end the wait.
  let ended = false;
  let wake: (() => void) | undefined;
  const onStatus = () => {
    ended = true;
    wake?.();
  };
  call.once("status", onStatus);
  try {
    for await (const req of reqs) {
      if (ended) return; // leaving the loop returns the caller's iterator
      if (call.write(req)) continue;
      const drained = new Promise<void>((resolve) => (wake = resolve));
      call.once("drain", wake!);
      await drained;
      call.off("drain", wake!);
      wake = undefined;
    }
  } finally {
    call.off("status", onStatus);
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
  } catch (err) {
    // A closed channel refuses new calls synchronously; callers see a status like any other failure.
    if (err instanceof Error && /shut ?down|closed/i.test(err.message)) throw new RpcError(Code.UNAVAILABLE, `channel closed: ${err.message}`);
    throw err;
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
              path, ser, de, req, requestMetadata(opts), callOptions(opts),
              (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
            ),
          );
          bindSignal(call, opts?.signal);
        bindMetadata(call, opts);
        });
    case "server_streaming":
      return (req: unknown, opts?: CallOptions) => {
        const call = withoutStack(() =>
          channel.makeServerStreamRequest(path, ser, de, req, requestMetadata(opts), callOptions(opts)),
        );
        bindSignal(call, opts?.signal);
        bindMetadata(call, opts);
        return readAll(call);
      };
    case "client_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) =>
        new Promise((resolve, reject) => {
          const call = withoutStack(() =>
            channel.makeClientStreamRequest(
              path, ser, de, requestMetadata(opts), callOptions(opts),
              (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
            ),
          );
          bindSignal(call, opts?.signal);
        bindMetadata(call, opts);
          writeAll(call, reqs).catch(() => call.cancel());
        });
    case "bidi_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) => {
        const call = withoutStack(() =>
          channel.makeBidiStreamRequest(path, ser, de, requestMetadata(opts), callOptions(opts)),
        );
        bindSignal(call, opts?.signal);
        bindMetadata(call, opts);
        writeAll(call, reqs).catch(() => call.cancel());
        return readAll(call);
      };
  }
}

/** The typed client of a generated service: `ClientOf<typeof KV>`. */
export type ClientOf<D> = D extends GenService<infer S> ? ServiceClient<S> : never;
