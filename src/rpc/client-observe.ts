import type { DescMethod } from "@bufbuild/protobuf";
import type { CallOptions } from "./call-options.js";
import { callTypeOf, observedMethod, startCall, type CallObserver, type CallReporter, type ObservedMethod } from "./observe.js";
import { Metadata } from "./metadata.js";
import { Code, RpcError } from "./status.js";

/**
 * Call observers on the client side, for either engine: the typed stubs of
 * `createClient` are wrapped when their channel has observers, so a call is
 * seen as the application sees it (go-grpc-middleware's client interceptors
 * see the same): each request as it goes out, each response as the
 * application reads it, and the status when the application gets it: with
 * the response of a unary or client-streaming call, at the end of the
 * response stream otherwise. A response stream the application abandons ends
 * CANCELLED (the stub cancels the call). Raw calls (proxies) are not observed.
 */

/** A channel's observers and the peer its calls report (the address it dials; "" when it has none). */
export interface ChannelObservation {
  observers: readonly CallObserver[];
  peer: string;
}

const observed = new WeakMap<object, ChannelObservation>();

/** Attaches `observers` to a channel, for the clients `createClient` makes on it; `peer` is the address it dials. */
export function observeChannel<C extends object>(channel: C, observers: readonly CallObserver[] | undefined, peer = ""): C {
  if (observers?.length) observed.set(channel, { observers: [...observers], peer });
  return channel;
}

/** What is attached to `channel`, if anything. */
export function channelObservers(channel: object): ChannelObservation | undefined {
  return observed.get(channel);
}

type Stub = (arg: unknown, opts?: CallOptions) => unknown;

const statusOf = (err: unknown) => {
  const e = RpcError.from(err);
  return { code: e.code, details: e.details };
};

/** Reports each item of `reqs` as it is taken to be sent. */
async function* sent(reqs: AsyncIterable<unknown>, rep: CallReporter | undefined): AsyncIterable<unknown> {
  for await (const r of reqs) {
    rep?.onSend?.(r);
    yield r;
  }
}

/** The responses of `inner`, reported as the application reads them, and the call's end after the last. */
async function* received(inner: AsyncIterable<unknown>, rep: CallReporter | undefined): AsyncIterable<unknown> {
  let ended = false;
  try {
    for await (const msg of inner) {
      rep?.onReceive?.(msg);
      yield msg;
    }
    ended = true;
    rep?.onReceiveEnd?.();
    rep?.onEnd?.({ code: Code.OK, details: "" });
  } catch (err) {
    ended = true;
    rep?.onReceiveEnd?.();
    rep?.onEnd?.(statusOf(err));
    throw err;
  } finally {
    if (!ended) rep?.onEnd?.({ code: Code.CANCELLED, details: "context canceled" });
  }
}

/** `stub` with every call reported to `observers`. */
export function observedStub(stub: Stub, path: string, m: DescMethod, observers: readonly CallObserver[], peer = ""): Stub {
  const method: ObservedMethod = observedMethod(path, callTypeOf(m.methodKind));
  // The request headers go to the observers first and then out, so an observer may add to them.
  const begin = (opts: CallOptions | undefined) => {
    const md = opts?.metadata;
    const metadata = md instanceof Metadata ? md.clone() : new Metadata(md);
    return { rep: startCall(observers, method, { metadata, peer }), opts: { ...opts, metadata } };
  };
  const single = (p: Promise<unknown>, rep: CallReporter | undefined) =>
    p.then(
      (res) => {
        rep?.onReceive?.(res);
        rep?.onEnd?.({ code: Code.OK, details: "" });
        return res;
      },
      (err) => {
        rep?.onEnd?.(statusOf(err));
        throw err;
      },
    );
  switch (m.methodKind) {
    case "unary":
      return (req, o) => {
        const { rep, opts } = begin(o);
        rep?.onSend?.(req);
        return single(stub(req, opts) as Promise<unknown>, rep);
      };
    case "server_streaming":
      return (req, o) => {
        const { rep, opts } = begin(o);
        rep?.onSend?.(req);
        return received(stub(req, opts) as AsyncIterable<unknown>, rep);
      };
    case "client_streaming":
      return (reqs, o) => {
        const { rep, opts } = begin(o);
        return single(stub(sent(reqs as AsyncIterable<unknown>, rep), opts) as Promise<unknown>, rep);
      };
    case "bidi_streaming":
      return (reqs, o) => {
        const { rep, opts } = begin(o);
        return received(stub(sent(reqs as AsyncIterable<unknown>, rep), opts) as AsyncIterable<unknown>, rep);
      };
  }
}
