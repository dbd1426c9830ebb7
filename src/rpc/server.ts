import * as grpc from "@grpc/grpc-js";
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { HandlerContext } from "./context.js";
import { messageCodec } from "./codec.js";

export type { HandlerContext };
import { Code, RpcError, toStatus } from "./status.js";
import { Metadata, type MetadataInit } from "./metadata.js";
import { fromGrpcJs, toGrpcJs } from "./grpc-js-metadata.js";
import { H2Server } from "./h2-server.js";
import type { GrpcJsServer } from "./handles.js";
import { grpcJsServer } from "./grpc-js-handles.js";

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
function serviceDefinition(desc: DescService): grpc.ServiceDefinition {
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

/** A server of either engine: the node:http2 `H2Server`, or one on grpc-js. */
export type Server = H2Server | GrpcJsServer;

/** Registers typed services on a server of either engine. */
export function addServices(server: Server, registrations: Iterable<ServiceRegistration>): void {
  for (const { service: desc, impl } of registrations) {
    if (server instanceof H2Server) {
      server.register(desc, impl);
      continue;
    }
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const m of desc.methods) {
      handlers[m.name] = adaptHandler(m, impl[m.localName] as AnyImpl | undefined);
    }
    grpcJsServer(server).addService(serviceDefinition(desc), handlers);
  }
}

type AnyImpl = (arg: unknown, ctx: HandlerContext) => unknown;

const identity = (b: Buffer) => b;

/** Registers a unary handler of raw message bytes on `path`, on either engine (a proxy's relay). */
export function registerRawUnary(server: Server, path: string, fn: (req: Buffer, ctx: HandlerContext) => Promise<Buffer>): void {
  if (server instanceof H2Server) return server.registerRaw(path, fn);
  const m = { methodKind: "unary", name: path.slice(path.lastIndexOf("/") + 1) } as DescMethod;
  grpcJsServer(server).register(path, adaptHandler(m, fn as AnyImpl) as grpc.handleUnaryCall<Buffer, Buffer>, identity, identity, "unary");
}

type SurfaceCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>;

/** A handler context on a grpc-js call, plus the trailers the handler set. */
interface GrpcJsContext extends HandlerContext {
  /** The trailers to send: those the handler set, plus `md` (an error's). */
  trailers(md?: Metadata): grpc.Metadata | undefined;
}

/**
 * The handler's view of a call, built lazily: grpc-js reports "cancelled" when
 * any call's stream closes, answered or not, so the abort signal (and its
 * listener) exists only for handlers that ask for it, and fires only while the
 * call is still unanswered.
 */
function contextOf(call: SurfaceCall, answered: () => boolean): GrpcJsContext {
  let ac: AbortController | undefined;
  let trailer: Metadata | undefined;
  let metadata: Metadata | undefined;
  const reason = () => {
    const d = call.getDeadline();
    const t = d instanceof Date ? d.getTime() : d;
    return Number.isFinite(t) && t <= Date.now()
      ? new RpcError(Code.DEADLINE_EXCEEDED, "context deadline exceeded")
      : new RpcError(Code.CANCELLED, "context canceled");
  };
  return {
    get metadata() {
      return (metadata ??= fromGrpcJs(call.metadata));
    },
    get peer() {
      return call.getPeer();
    },
    get deadline() {
      const d = call.getDeadline();
      const t = d instanceof Date ? d.getTime() : d;
      return Number.isFinite(t) ? new Date(t) : undefined;
    },
    get signal() {
      if (!ac) {
        const controller = (ac = new AbortController());
        (call as grpc.ServerUnaryCall<unknown, unknown>).once("cancelled", () => {
          if (!answered()) controller.abort(reason());
        });
        if ((call as { cancelled?: boolean }).cancelled) controller.abort(reason());
      }
      return ac.signal;
    },
    sendHeader(md: MetadataInit) {
      call.sendMetadata(toGrpcJs(md instanceof Metadata ? md : new Metadata(md)));
    },
    setTrailer(md: MetadataInit) {
      (trailer ??= new Metadata()).merge(md);
    },
    trailers(md?: Metadata) {
      const all = md && trailer ? trailer.clone().merge(md) : (md ?? trailer);
      return all && toGrpcJs(all);
    },
  };
}

function statusWith(ctx: GrpcJsContext, err: unknown): grpc.StatusObject {
  const s = toStatus(err);
  return { code: s.code as number as grpc.status, details: s.details, metadata: ctx.trailers(s.metadata) ?? new grpc.Metadata() };
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

function unimplemented(m: DescMethod): grpc.ServiceError {
  const details = `method ${m.name} not implemented`;
  return Object.assign(new Error(details), { code: grpc.status.UNIMPLEMENTED, details, metadata: new grpc.Metadata() });
}

function adaptHandler(m: DescMethod, fn: AnyImpl | undefined): grpc.UntypedHandleCall {
  switch (m.methodKind) {
    case "unary":
      return ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!fn) return cb(unimplemented(m));
        let answered = false;
        const ctx = contextOf(call, () => answered);
        const ok = (res: unknown) => {
          answered = true;
          cb(null, res, ctx.trailers());
        };
        const fail = (err: unknown) => {
          answered = true;
          cb(statusWith(ctx, err));
        };
        let result: unknown;
        try {
          result = fn(call.request, ctx);
        } catch (err) {
          return fail(err);
        }
        if (!isThenable(result)) return ok(result);
        result.then(ok, fail);
      }) as grpc.handleUnaryCall<unknown, unknown>;
    case "client_streaming":
      return ((call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!fn) return cb(unimplemented(m));
        let answered = false;
        const ctx = contextOf(call, () => answered);
        Promise.resolve()
          .then(() => fn(requests(call, ctx), ctx))
          .then(
            (res) => {
              answered = true;
              cb(null, res, ctx.trailers());
            },
            (err) => {
              answered = true;
              cb(statusWith(ctx, err));
            },
          );
      }) as grpc.handleClientStreamingCall<unknown, unknown>;
    case "server_streaming":
      return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (!fn) return call.emit("error", unimplemented(m));
        void pipeOut(call, (ctx) => fn(call.request, ctx) as AsyncIterable<unknown>);
      }) as grpc.handleServerStreamingCall<unknown, unknown>;
    case "bidi_streaming":
      return ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        if (!fn) return call.emit("error", unimplemented(m));
        void pipeOut(call, (ctx) => fn(requests(call, ctx), ctx) as AsyncIterable<unknown>);
      }) as grpc.handleBidiStreamingCall<unknown, unknown>;
  }
}

/**
 * The request stream of a call. Iterating a Duplex with the default iterator
 * destroys it when the requests end, which would drop the responses still to
 * be written, so the iterator is told not to. A peer's cancel before the end
 * of input is an error, as grpc-go's Recv reports it, not a normal end.
 */
function requests(
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  ctx: HandlerContext,
): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      const signal = ctx.signal;
      for await (const msg of call.iterator({ destroyOnReturn: false })) yield msg;
      if (signal.aborted) throw signal.reason;
    },
  };
}

/** Writes a handler's output stream to the call, honouring back-pressure. */
async function pipeOut(
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  produce: (ctx: GrpcJsContext) => AsyncIterable<unknown>,
): Promise<void> {
  let cancelled = false;
  let done = false;
  call.once("cancelled", () => (cancelled = true));
  const ctx = contextOf(call, () => done);
  try {
    for await (const msg of produce(ctx)) {
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
        if (cancelled) return; // ask the generator for nothing more: its next message would be lost
      }
    }
    done = true;
    if (!cancelled) call.end(ctx.trailers());
  } catch (err) {
    done = true;
    if (!cancelled) call.emit("error", statusWith(ctx, err));
  }
}
