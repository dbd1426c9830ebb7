import type { DescMethod } from "@bufbuild/protobuf";
import type { Metadata } from "./metadata.js";
import type { Code } from "./status.js";

/**
 * Call observers: a server (or channel) option through which metrics, tracing
 * or logging see every call without wrapping handlers. The shape follows
 * go-grpc-middleware's interceptors.Reporter: one reporter per call, told of
 * each message and of the final status.
 */

/** A call's kind, spelled as grpc-go's interceptors and grpc-prometheus label it. */
export type CallType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** The method a call is for. One object per method, shared by all its calls: do not mutate. */
export interface ObservedMethod {
  /** `/package.Service/Method`, as on the wire. */
  readonly path: string;
  /** `package.Service`. */
  readonly service: string;
  /** `Method`. */
  readonly method: string;
  readonly type: CallType;
}

/** The call itself, as far as observers need it (tracing reads the caller's trace context). */
export interface ObservedCall {
  /**
   * The request headers: on a server as received (grpc-go's metadata.FromIncomingContext); on a
   * client those about to be sent, which an observer may add to (grpc-go's outgoing context).
   */
  readonly metadata: Metadata;
  /**
   * The peer: on a server `host:port` over tcp, `unix` over a unix socket or a multiplexed stream; on a
   * client the address its channel dials (`host:port` or the socket path), "" for a multiplexed stream.
   */
  readonly peer: string;
}

/** The final status of an observed call. */
export interface ObservedStatus {
  readonly code: Code;
  readonly details: string;
}

/** Told of one call's events; every hook is optional. */
export interface CallReporter {
  /** A request message (server) or response message (client) was handed to the application. */
  onReceive?(message: unknown): void;
  /**
   * A streamed input ended as the application read it: the peer half-closed
   * (server) or its status came (client), or the read failed (cancel,
   * deadline, error). Streamed inputs only; grpc-go's RecvMsg returning
   * io.EOF or an error.
   */
  onReceiveEnd?(): void;
  /** A message was written to the peer. */
  onSend?(message: unknown): void;
  /** The response headers went out (not called for a trailers-only response). */
  onHeader?(): void;
  /** The call ended with `status`; called exactly once, last. */
  onEnd?(status: ObservedStatus): void;
}

/**
 * Sees each call as it starts and may return a reporter for it. On a server,
 * a call starts when its handler is about to run (for unary and
 * server-streaming calls, after the request message is read), as grpc-go's
 * interceptors see it; calls refused before that (unknown method, bad
 * headers) are not observed. Registered methods without a handler are
 * observed, ending UNIMPLEMENTED, as grpc-go's Unimplemented stubs are.
 * On a client (see client-observe.ts), a call starts when the application
 * makes it, and is reported as the application sees it.
 */
export interface CallObserver {
  onCall(method: ObservedMethod, call: ObservedCall): CallReporter | undefined;
}

/** The call type of a protobuf-es method kind. */
export function callTypeOf(kind: DescMethod["methodKind"]): CallType {
  switch (kind) {
    case "unary":
      return "unary";
    case "client_streaming":
      return "client_stream";
    case "server_streaming":
      return "server_stream";
    case "bidi_streaming":
      return "bidi_stream";
  }
}

/** The method info of `path` (`/svc/Method`). */
export function observedMethod(path: string, type: CallType): ObservedMethod {
  const slash = path.lastIndexOf("/");
  return Object.freeze({ path, service: path.slice(1, slash), method: path.slice(slash + 1), type });
}

/**
 * The reporter of one call across all `observers`: undefined when none wants
 * it, the one reporter when only one does, else a fan-out. Callers skip this
 * (and allocate nothing) when no observer is set.
 */
export function startCall(observers: readonly CallObserver[], method: ObservedMethod, call: ObservedCall): CallReporter | undefined {
  if (observers.length === 1) return observers[0]!.onCall(method, call);
  let list: CallReporter[] | undefined;
  for (const o of observers) {
    const r = o.onCall(method, call);
    if (r) (list ??= []).push(r);
  }
  if (!list) return undefined;
  if (list.length === 1) return list[0];
  const all = list;
  return {
    onReceive: (m) => all.forEach((r) => r.onReceive?.(m)),
    onReceiveEnd: () => all.forEach((r) => r.onReceiveEnd?.()),
    onSend: (m) => all.forEach((r) => r.onSend?.(m)),
    onHeader: () => all.forEach((r) => r.onHeader?.()),
    onEnd: (s) => all.forEach((r) => r.onEnd?.(s)),
  };
}
