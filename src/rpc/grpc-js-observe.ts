import * as grpc from "@grpc/grpc-js";
import { Code } from "./status.js";
import { fromGrpcJs } from "./grpc-js-metadata.js";
import { Metadata } from "./metadata.js";
import { observedMethod, startCall, type CallObserver, type CallReporter, type CallType, type ObservedMethod } from "./observe.js";

/**
 * Call observers on the grpc-js engine, as one grpc-js server interceptor.
 * grpc-js interceptors see messages as they arrive rather than as the handler
 * reads them, so a streamed request counts when received and the end of input
 * when the client half-closes; the start of a unary or server-streaming call
 * waits for its request message, as on the h2 engine.
 */
export function observingInterceptor(observers: readonly CallObserver[]): grpc.ServerInterceptor {
  const methods = new Map<string, ObservedMethod>();
  return (def, call) => {
    const type: CallType = def.requestStream ? (def.responseStream ? "bidi_stream" : "client_stream") : def.responseStream ? "server_stream" : "unary";
    let method = methods.get(def.path);
    if (!method) methods.set(def.path, (method = observedMethod(def.path, type)));
    const observed = method;
    const streamingIn = def.requestStream;
    let rep: CallReporter | undefined;
    let started = false;
    let ended = false;
    let metadata = new Metadata();
    // grpc-js names a unix peer by its socket path or "unix:"; observers get the h2 engine's "unix".
    const peer = () => {
      const p = call.getPeer();
      return p.startsWith("unix:") || p.startsWith("/") ? "unix" : p;
    };
    const begin = () => {
      started = true;
      rep = startCall(observers, observed, { metadata, peer: peer() });
    };
    const end = (code: Code, details: string) => {
      if (ended || !started) return;
      ended = true;
      rep?.onEnd?.({ code, details });
    };
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((md, next) => {
        metadata = fromGrpcJs(md);
        // A streamed input starts the call with its headers, before any message.
        if (streamingIn) begin();
        next(md);
      })
      .withOnReceiveMessage((msg, next) => {
        if (!started) begin();
        if (!ended) rep?.onReceive?.(msg);
        next(msg);
      })
      .withOnReceiveHalfClose((next) => {
        if (streamingIn && !ended) rep?.onReceiveEnd?.();
        next();
      })
      .withOnCancel(() => end(Code.CANCELLED, "context canceled"))
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendMetadata((md, next) => {
        next(md);
        if (started && !ended) rep?.onHeader?.();
      })
      .withSendMessage((msg, next) => {
        next(msg);
        if (!ended) rep?.onSend?.(msg);
      })
      .withSendStatus((status, next) => {
        end(status.code as number as Code, status.details ?? "");
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
