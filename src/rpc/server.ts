import * as grpc from "@grpc/grpc-js";
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { messageCodec } from "./codec.js";
import { Code, RpcError, toStatus } from "./status.js";

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  readonly metadata: grpc.Metadata;
  /** Aborted when the caller cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly peer: string;
}

type In<M extends GenServiceMethods[string]> = MessageShape<M["input"]>;
type Out<M extends GenServiceMethods[string]> = MessageInitShape<M["output"]>;

export type MethodImpl<M extends GenServiceMethods[string]> = M["methodKind"] extends "unary"
  ? (req: In<M>, ctx: HandlerContext) => Promise<Out<M>> | Out<M>
  : M["methodKind"] extends "server_streaming"
    ? (req: In<M>, ctx: HandlerContext) => AsyncIterable<Out<M>>
    : M["methodKind"] extends "client_streaming"
      ? (reqs: AsyncIterable<In<M>>, ctx: HandlerContext) => Promise<Out<M>>
      : (reqs: AsyncIterable<In<M>>, ctx: HandlerContext) => AsyncIterable<Out<M>>;

/** Typed handlers for a generated service; missing methods answer UNIMPLEMENTED. */
export type ServiceImpl<S extends GenServiceMethods> = { [K in keyof S]?: MethodImpl<S[K]> };

/** A service descriptor paired with its handlers, ready to register. */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly impl: Record<string, unknown>;
}

export function service<S extends GenServiceMethods>(
  desc: GenService<S>,
  impl: ServiceImpl<S>,
): ServiceRegistration {
  return { service: desc as unknown as DescService, impl: impl as Record<string, unknown> };
}

/** grpc-js method definitions for a protobuf-es service descriptor. */
export function serviceDefinition(desc: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of desc.methods) {
    const input = messageCodec(m.input);
    const output = messageCodec(m.output);
    def[m.name] = {
      path: `/${desc.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
      originalName: m.localName,
    } as grpc.MethodDefinition<unknown, unknown>;
  }
  return def as grpc.ServiceDefinition;
}

/** Registers typed services on a grpc-js server. */
export function addServices(server: grpc.Server, registrations: Iterable<ServiceRegistration>): void {
  for (const { service: desc, impl } of registrations) {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const m of desc.methods) {
      handlers[m.name] = adaptHandler(m, impl[m.localName] as AnyImpl | undefined);
    }
    server.addService(serviceDefinition(desc), handlers);
  }
}

type AnyImpl = (arg: unknown, ctx: HandlerContext) => unknown;

type SurfaceCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>;

/**
 * The handler's view of a call, built lazily: grpc-js reports "cancelled" when
 * any call's stream closes, answered or not, so the abort signal (and its
 * listener) exists only for handlers that ask for it, and fires only while the
 * call is still unanswered.
 */
function contextOf(call: SurfaceCall, answered: () => boolean): HandlerContext {
  let ac: AbortController | undefined;
  return {
    metadata: call.metadata,
    get peer() {
      return call.getPeer();
    },
    get signal() {
      if (!ac) {
        const controller = (ac = new AbortController());
        (call as grpc.ServerUnaryCall<unknown, unknown>).once("cancelled", () => {
          if (!answered()) controller.abort(new RpcError(Code.CANCELLED, "call cancelled"));
        });
        if ((call as { cancelled?: boolean }).cancelled) controller.abort(new RpcError(Code.CANCELLED, "call cancelled"));
      }
      return ac.signal;
    },
  };
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

function unimplemented(m: DescMethod): grpc.ServiceError {
  const s = toStatus(new RpcError(Code.UNIMPLEMENTED, `method ${m.name} not implemented`));
  return Object.assign(new Error(s.details), s);
}

function adaptHandler(m: DescMethod, fn: AnyImpl | undefined): grpc.UntypedHandleCall {
  switch (m.methodKind) {
    case "unary":
      return ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!fn) return cb(unimplemented(m));
        let answered = false;
        const reply: grpc.sendUnaryData<unknown> = (err, res) => {
          answered = true;
          cb(err, res);
        };
        let result: unknown;
        try {
          result = fn(call.request, contextOf(call, () => answered));
        } catch (err) {
          return reply(toStatus(err));
        }
        if (!isThenable(result)) return reply(null, result);
        result.then(
          (res) => reply(null, res),
          (err) => reply(toStatus(err)),
        );
      }) as grpc.handleUnaryCall<unknown, unknown>;
    case "client_streaming":
      return ((call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!fn) return cb(unimplemented(m));
        let answered = false;
        Promise.resolve()
          .then(() => fn(requests(call), contextOf(call, () => answered)))
          .then(
            (res) => {
              answered = true;
              cb(null, res);
            },
            (err) => {
              answered = true;
              cb(toStatus(err));
            },
          );
      }) as grpc.handleClientStreamingCall<unknown, unknown>;
    case "server_streaming":
      return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (!fn) return call.emit("error", unimplemented(m));
        void pipeOut(call, (answered) => fn(call.request, contextOf(call, answered)) as AsyncIterable<unknown>);
      }) as grpc.handleServerStreamingCall<unknown, unknown>;
    case "bidi_streaming":
      return ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        if (!fn) return call.emit("error", unimplemented(m));
        void pipeOut(call, (answered) => fn(requests(call), contextOf(call, answered)) as AsyncIterable<unknown>);
      }) as grpc.handleBidiStreamingCall<unknown, unknown>;
  }
}

/**
 * The request stream of a call. Iterating a Duplex with the default iterator
 * destroys it when the requests end, which would drop the responses still to
 * be written, so the iterator is told not to.
 */
function requests(call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): AsyncIterable<unknown> {
  return { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) };
}

/** Writes a handler's output stream to the call, honouring back-pressure. */
async function pipeOut(
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  produce: (answered: () => boolean) => AsyncIterable<unknown>,
): Promise<void> {
  let cancelled = false;
  let done = false;
  call.once("cancelled", () => (cancelled = true));
  try {
    for await (const msg of produce(() => done)) {
      if (cancelled) return;
      if (!call.write(msg)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            call.off("drain", done);
            call.off("cancelled", done);
            resolve();
          };
          call.on("drain", done);
          call.on("cancelled", done);
        });
      }
    }
    done = true;
    if (!cancelled) call.end();
  } catch (err) {
    done = true;
    if (!cancelled) call.emit("error", toStatus(err));
  }
}
