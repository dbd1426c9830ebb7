import * as grpc from "@grpc/grpc-js";
import type { Channel } from "./client.js";
import { H2Channel } from "./h2-channel.js";
import { grpcJsClient } from "./grpc-js-handles.js";
import { Code } from "./status.js";

/**
 * Closing a grpc-js channel does not end the calls already on it: a call whose
 * connection went half-dead (seen with a SIGKILLed Go plugin under mutual TLS:
 * the socket stays ESTABLISHED with no peer, the channel READY) waits for its
 * deadline, or forever. Every channel made by `dialChannel` therefore tracks
 * its calls, and `failChannel` ends them all with one status that names the
 * cause, closes the channel, and fails later calls the same way at once.
 */
interface Tracker {
  readonly calls: Set<grpc.InterceptingCall>;
  failure?: { code: Code; details: string };
}

const trackers = new WeakMap<grpc.Client, Tracker>();

/** The interceptor `dialChannel` installs; `register` binds it to its channel. */
export function trackingInterceptor(): { interceptor: grpc.Interceptor; register(channel: grpc.Client): void } {
  const tracker: Tracker = { calls: new Set() };
  const interceptor: grpc.Interceptor = (options, nextCall) => {
    const failure = tracker.failure;
    if (failure) return failedCall(failure.code, failure.details);
    const call: grpc.InterceptingCall = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            tracker.calls.delete(call);
            nextStatus(status);
          },
        });
      },
    });
    tracker.calls.add(call);
    return call;
  };
  return { interceptor, register: (channel) => trackers.set(channel, tracker) };
}

/**
 * Ends every call on `channel` with `code` (UNAVAILABLE by default) and
 * `details`, closes the channel, and makes later calls fail with the same
 * status. Idempotent: the first cause wins. Channels not made by
 * `dialChannel` are just closed.
 */
export function failChannel(channel: Channel, details: string, code: Code = Code.UNAVAILABLE): void {
  if (channel instanceof H2Channel) return channel.fail(details, code);
  const client = grpcJsClient(channel);
  const tracker = trackers.get(client);
  if (tracker && !tracker.failure) {
    tracker.failure = { code, details };
    for (const call of [...tracker.calls]) call.cancelWithStatus(code as number as grpc.status, details);
    tracker.calls.clear();
  }
  client.close();
}

/** True once `failChannel` ran on `channel`. */
export function channelFailed(channel: Channel): boolean {
  if (channel instanceof H2Channel) return channel.failed;
  return trackers.get(grpcJsClient(channel))?.failure !== undefined;
}

/** A call that never reaches the network and ends with the given status. */
function failedCall(code: Code, details: string): grpc.InterceptingCall {
  const inert = {
    cancelWithStatus() {},
    getPeer: () => "",
    start(_metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>) {
      setImmediate(() => listener?.onReceiveStatus?.({ code: code as number as grpc.status, details, metadata: new grpc.Metadata() }));
    },
    sendMessageWithContext(context: { callback?: () => void }) {
      context.callback?.();
    },
    sendMessage() {},
    startRead() {},
    halfClose() {},
    getAuthContext: () => null,
  };
  return new grpc.InterceptingCall(inert);
}
