import { GRPCStdio, StdioData_Channel as Channel } from "../gen/plugin/grpc_stdio_pb.js";
import { service, type ServiceRegistration } from "../rpc/server.js";

type Write = typeof process.stdout.write;

/**
 * The plugin side of plugin.GRPCStdio: after the handshake, what user code
 * writes through process.stdout/process.stderr (console.log included) is queued
 * and streamed to the host, each chunk once. With no host reading, up to
 * `limitBytes` are kept and older chunks are dropped beyond that.
 */
export class StdioCapture {
  private readonly queue: Array<{ channel: Channel; data: Uint8Array }> = [];
  private queued = 0;
  /** One per waiting StreamStdio call: each stream takes the next chunk, as Go's share one channel. */
  private readonly wakers = new Set<() => void>();
  private restore?: () => void;
  dropped = 0;

  constructor(private readonly limitBytes = 4 * 1024 * 1024) {}

  /** Routes process.stdout/stderr writes into the queue until `uninstall()`. */
  install(): void {
    const out = process.stdout.write;
    const err = process.stderr.write;
    process.stdout.write = this.writer(Channel.STDOUT);
    process.stderr.write = this.writer(Channel.STDERR);
    this.restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
  }

  push(channel: Channel, data: Uint8Array): void {
    if (data.length === 0) return;
    this.queue.push({ channel, data });
    this.queued += data.length;
    while (this.queued > this.limitBytes && this.queue.length > 1) {
      this.queued -= this.queue.shift()!.data.length;
      this.dropped++;
    }
    for (const wake of this.wakers) wake();
  }

  /** Bytes waiting for a host to read them. */
  get pendingBytes(): number {
    return this.queued;
  }

  registration(): ServiceRegistration {
    return service(GRPCStdio, {
      streamStdio: (_req, ctx) => this.drain(ctx.signal),
    });
  }

  private async *drain(signal: AbortSignal) {
    while (!signal.aborted) {
      const next = this.queue.shift();
      if (next) {
        this.queued -= next.data.length;
        yield { channel: next.channel, data: next.data };
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wakers.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.wakers.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  private writer(channel: Channel): Write {
    return ((chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown) => {
      const encoding = typeof encodingOrCb === "string" ? (encodingOrCb as BufferEncoding) : "utf8";
      const data = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
      this.push(channel, new Uint8Array(data));
      const callback = typeof encodingOrCb === "function" ? encodingOrCb : cb;
      if (typeof callback === "function") queueMicrotask(() => (callback as () => void)());
      return true;
    }) as Write;
  }
}
