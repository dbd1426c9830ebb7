import type { DescMethod } from "@bufbuild/protobuf";
import type { ClientCall, H2Channel, StartOptions } from "./h2-channel.js";
import type { CallOptions } from "./call-options.js";
import { messageCodec } from "./codec.js";
import { Code, RpcError } from "./status.js";
import type { Metadata } from "./metadata.js";

/** Messages received on a streaming call, read as an async iterable; ends with the call's status. */
class Inbox implements AsyncIterable<unknown> {
  private readonly items: unknown[] = [];
  private error?: RpcError;
  private ended = false;
  private wake?: () => void;
  call?: ClientCall;

  push(msg: unknown): void {
    this.items.push(msg);
    // Past a few unread messages, stop reading so HTTP/2 flow control slows the peer.
    if (this.items.length === 16) this.call?.pause();
    this.wake?.();
  }

  end(err?: RpcError): void {
    this.ended = true;
    this.error = err;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    try {
      for (;;) {
        if (this.items.length > 0) {
          const item = this.items.shift();
          if (this.items.length === 8) this.call?.resume();
          yield item;
          continue;
        }
        if (this.ended) {
          if (this.error) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // A reader that stops early cancels the call, as abandoning a grpc-go stream's context does.
      if (!this.ended) this.call?.cancel(Code.CANCELLED, "context canceled");
    }
  }
}

function startOptions(opts: CallOptions | undefined): StartOptions {
  if (!opts) return {};
  const d = opts.deadline;
  return {
    metadata: opts.metadata,
    signal: opts.signal,
    deadline: d === undefined ? undefined : typeof d === "number" ? Date.now() + d : d.getTime(),
  };
}

async function writeAll(call: ClientCall, reqs: AsyncIterable<unknown>, ser: (v: unknown) => Buffer) {
  try {
    for await (const req of reqs) {
      // An ended call takes nothing more: leaving the loop returns the caller's iterator, so an endless source is released.
      if (call.ended) return;
      if (!call.send(ser(req))) await call.waitDrain();
    }
    call.halfClose();
  } catch (err) {
    call.cancel(Code.CANCELLED, `request stream failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** A typed method stub on the node:http2 engine. */
export function h2MethodClient(channel: H2Channel, path: string, m: DescMethod): unknown {
  const ser = messageCodec(m.input).serialize as (v: unknown) => Buffer;
  const de = messageCodec(m.output).deserialize;
  const single = (opts: CallOptions | undefined, resolve: (v: unknown) => void, reject: (e: unknown) => void) => {
    let res: Buffer | undefined;
    let count = 0;
    return {
      onHeaders: opts?.onHeader,
      onMessage(msg: Buffer) {
        if (count++ === 0) res = msg;
      },
      onStatus(s: { code: Code; details: string; metadata: Metadata }) {
        opts?.onTrailer?.(s.metadata);
        if (s.code !== Code.OK) return reject(new RpcError(s.code, s.details, s.metadata));
        if (count === 0) return reject(new RpcError(Code.INTERNAL, "cardinality violation: expected <Message> received <EOF>"));
        if (count > 1) return reject(new RpcError(Code.INTERNAL, "cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message"));
        try {
          resolve(de(res!));
        } catch (err) {
          reject(new RpcError(Code.INTERNAL, `grpc: failed to unmarshal the received message: ${(err as Error).message}`));
        }
      },
    };
  };
  const many = (opts: CallOptions | undefined, inbox: Inbox) => ({
    onHeaders: opts?.onHeader,
    onMessage(msg: Buffer) {
      try {
        inbox.push(de(msg));
      } catch (err) {
        inbox.call?.cancel(Code.INTERNAL, `grpc: failed to unmarshal the received message: ${(err as Error).message}`);
      }
    },
    onStatus(s: { code: Code; details: string; metadata: Metadata }) {
      opts?.onTrailer?.(s.metadata);
      inbox.end(s.code === Code.OK ? undefined : new RpcError(s.code, s.details, s.metadata));
    },
  });
  switch (m.methodKind) {
    case "unary":
      return (req: unknown, opts?: CallOptions) =>
        new Promise((resolve, reject) => {
          channel.start(path, single(opts, resolve, reject), startOptions(opts)).sendLast(ser(req));
        });
    case "server_streaming":
      return (req: unknown, opts?: CallOptions) => {
        const inbox = new Inbox();
        inbox.call = channel.start(path, many(opts, inbox), startOptions(opts));
        inbox.call.sendLast(ser(req));
        return inbox;
      };
    case "client_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) =>
        new Promise((resolve, reject) => {
          const call = channel.start(path, single(opts, resolve, reject), startOptions(opts));
          void writeAll(call, reqs, ser);
        });
    case "bidi_streaming":
      return (reqs: AsyncIterable<unknown>, opts?: CallOptions) => {
        const inbox = new Inbox();
        const call = (inbox.call = channel.start(path, many(opts, inbox), startOptions(opts)));
        void writeAll(call, reqs, ser);
        return inbox;
      };
  }
}
