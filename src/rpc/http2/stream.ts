import { EventEmitter } from "node:events";
import { ErrorCode } from "./frame.js";
import type { OutgoingFields } from "./fields.js";


/** What a stream asks of its connection. */
export interface StreamConnection {
  readonly socket: { remoteAddress?: string; remotePort?: number };
  /** Queues a header block (HEADERS + CONTINUATION) for the stream. */
  sendHeaders(s: ServerStream, fields: OutgoingFields, endStream: boolean): void;
  /** The stream has DATA (or its end) to send when windows allow. */
  wantsToSend(s: ServerStream): void;
  sendReset(s: ServerStream, code: number): void;
  /** `n` received bytes were handed to the reader: the peer may send that many more. */
  consumed(s: ServerStream, n: number): void;
  /** The stream is closed both ways: forget it. */
  release(s: ServerStream): void;
}

/** Queued response bytes that ask the writer to wait (node:http2's default is 16 KiB). */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * One request stream of the HTTP/2 server, with the part of node:http2's
 * ServerHttp2Stream the gRPC server uses: 'data' / 'end' / 'close' /
 * 'wantTrailers' / 'drain' events, pause/resume, respond, write, end,
 * sendTrailers and close(code). Events a caller reacts to by writing are
 * emitted on the next tick, as node:http2 does, so no caller re-enters the
 * connection while it reads a frame.
 */
export class ServerStream extends EventEmitter {
  headersSent = false;
  /** Closed both ways (answered and read to the end, or reset). */
  closed = false;
  destroyed = false;
  /** Reset by the peer or cut with the connection before both sides ended. */
  aborted = false;
  /** DATA the peer may still send (our receive window). */
  recvWindow: number;
  /** Bytes handed to the reader since the last WINDOW_UPDATE for this stream. */
  recvRead = 0;
  /** DATA we may still send (the peer's window for this stream). */
  sendWindow: number;
  /** Response bytes not yet framed, and where the first one starts. */
  readonly queue: Buffer[] = [];
  queueOffset = 0;
  queuedBytes = 0;
  /** end() was called: after the queue, trailers ('wantTrailers') or an empty END_STREAM DATA. */
  endRequested = false;
  private waitForTrailers = false;
  /** 'wantTrailers' was emitted: the queue is sent, trailers may end the stream. */
  private trailersReady = false;
  /** Our END_STREAM is queued (or sent). */
  localEnded = false;
  /** The peer's END_STREAM arrived. */
  remoteEnded = false;
  private paused = false;
  private readonly inbox: Buffer[] = [];
  private endPending = false;
  private deliveryScheduled = false;
  private needDrain = false;

  constructor(
    readonly id: number,
    readonly session: StreamConnection,
    recvWindow: number,
    sendWindow: number,
  ) {
    super();
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }

  // --- the reader's side

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    this.scheduleDelivery();
    return this;
  }

  /** DATA from the peer (payload without padding); `end` when it carried END_STREAM. */
  receive(payload: Buffer, end: boolean): void {
    if (this.closed) return;
    if (payload.length) this.inbox.push(payload);
    if (end) {
      this.remoteEnded = true;
      this.endPending = true;
    }
    this.scheduleDelivery();
    if (end) this.maybeClose();
  }

  /**
   * Data reaches the reader after the ticks and promise jobs already queued, as
   * from node:http2: what the connection read before it (another call's reset,
   * and the handler that reset wakes) is acted on first.
   */
  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    setImmediate(this.deliver);
  }

  private readonly deliver = (): void => {
    this.deliveryScheduled = false;
    while (!this.paused && this.inbox.length && !this.destroyed) {
      const chunk = this.inbox.shift()!;
      this.session.consumed(this, chunk.length);
      this.emit("data", chunk);
    }
    if (this.endPending && !this.paused && !this.inbox.length && !this.destroyed) {
      this.endPending = false;
      this.emit("end");
    }
  };

  // --- the writer's side

  respond(fields: OutgoingFields, opts: { endStream?: boolean; waitForTrailers?: boolean } = {}): void {
    if (this.destroyed) throw new Error("the HTTP/2 stream is closed");
    if (this.headersSent) throw new Error("response headers were already sent");
    this.headersSent = true;
    this.waitForTrailers = !!opts.waitForTrailers;
    this.session.sendHeaders(this, fields, !!opts.endStream);
    if (opts.endStream) this.endedLocally();
  }

  /** Queues response bytes; false when the queue is long enough that the writer should wait for 'drain'. */
  write(chunk: Buffer): boolean {
    if (this.destroyed || this.localEnded || this.endRequested) return false;
    if (chunk.length) {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
      this.session.wantsToSend(this);
    }
    if (this.queuedBytes < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  end(): void {
    if (this.destroyed || this.localEnded || this.endRequested) return;
    this.endRequested = true;
    this.session.wantsToSend(this);
  }

  sendTrailers(fields: OutgoingFields): void {
    if (this.destroyed || this.localEnded) throw new Error("the HTTP/2 stream is closed");
    // As node:http2: earlier, trailers would overtake (and cut off) DATA that flow control holds back.
    if (!this.trailersReady) throw new Error("trailers can be sent only once 'wantTrailers' is emitted");
    this.session.sendHeaders(this, fields, true);
    this.endedLocally();
  }

  /** Resets the stream with `code` (RST_STREAM) unless it is closed already. */
  close(code: number = ErrorCode.NO_ERROR): void {
    if (this.closed) return;
    this.session.sendReset(this, code);
    this.finish();
  }

  // --- called by the connection

  /** Takes up to `max` queued bytes as one DATA payload (a view when it lies in one write). */
  take(max: number): Buffer {
    const head = this.queue[0]!;
    const left = head.length - this.queueOffset;
    let out: Buffer;
    if (left <= max) {
      out = this.queueOffset ? head.subarray(this.queueOffset) : head;
      this.queue.shift();
      this.queueOffset = 0;
    } else {
      out = head.subarray(this.queueOffset, this.queueOffset + max);
      this.queueOffset += max;
    }
    this.queuedBytes -= out.length;
    this.sendWindow -= out.length;
    if (this.needDrain && this.queuedBytes < HIGH_WATER_MARK) {
      this.needDrain = false;
      process.nextTick(() => !this.destroyed && this.emit("drain"));
    }
    return out;
  }

  /**
   * The queue is empty after end(): true when END_STREAM must go in a DATA
   * frame now; else 'wantTrailers' is emitted and the trailers will end the stream.
   */
  queueDrainedAtEnd(): boolean {
    this.endRequested = false;
    if (!this.waitForTrailers) {
      this.endedLocally();
      return true;
    }
    process.nextTick(() => {
      if (this.destroyed) return;
      this.trailersReady = true;
      this.emit("wantTrailers");
    });
    return false;
  }

  /** RST_STREAM from the peer. */
  reset(): void {
    if (this.closed) return;
    this.aborted = true;
    this.finish();
  }

  /** The connection went: the stream ends here. */
  cut(): void {
    if (this.closed) return;
    this.aborted = !(this.remoteEnded && this.localEnded);
    this.finish();
  }

  private endedLocally(): void {
    this.localEnded = true;
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.closed || !this.localEnded) return;
    // A response can end before its request does (an error, a stream answered
    // early): the rest of the request is refused, as grpc-go's server does.
    if (!this.remoteEnded) this.session.sendReset(this, ErrorCode.NO_ERROR);
    this.finish();
  }

  private finish(): void {
    this.closed = true;
    this.destroyed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.inbox.length = 0;
    this.session.release(this);
    process.nextTick(() => this.emit("close"));
  }
}
