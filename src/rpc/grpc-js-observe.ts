import * as grpc from "@grpc/grpc-js";
import { Code } from "./status.js";
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
    const begin = () => {
      started = true;
      rep = startCall(observers, observed);
    };
    const end = (code: Code, details: string) => {
      if (ended || !started) return;
      ended = true;
      rep?.onEnd?.({ code, details });
    };
    if (streamingIn) begin();
    const listener = new grpc.ServerListenerBuilder()
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
