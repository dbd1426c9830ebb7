import { EventEmitter } from "node:events";
import { ErrorCode } from "./frame.js";

/** What a client stream asks of its connection. */
export interface ClientStreamConnection {
  /** The stream has DATA (or its end) to send when windows allow. */
  wantsToSend(s: ClientStream): void;
  sendReset(s: ClientStream, code: number): void;
  /** `n` received bytes were handed to the reader: the peer may send that many more. */
  consumed(s: ClientStream, n: number): void;
  /** The stream is closed both ways: forget it. */
  release(s: ClientStream): void;
}

/** Queued request bytes that ask the writer to wait (node:http2's default is 16 KiB). */
const HIGH_WATER_MARK = 64 * 1024;

/** What waits for the reader, in the order it arrived. */
type Delivery = { data: Buffer } | { trailers: Record<string, string>; flags: number; raw: string[] } | { end: true };

/**
 * One request of the HTTP/2 client, with the part of node:http2's
 * ClientHttp2Stream the gRPC channel uses: 'response' (fields by name, frame
 * flags, the raw list), then 'data', 'trailers' and 'close'; write, end,
 * close(code), destroy(err), pause/resume, 'drain', rstCode. DATA, trailers
 * and the end reach the reader in order on a later turn of the event loop, as
 * from node:http2; 'response' comes as its frame is read.
 */
export class ClientStream extends EventEmitter {
  /** Set once HEADERS went out (a stream may wait for the peer's concurrency limit). */
  id = 0;
  closed = false;
  destroyed = false;
  /** The RST_STREAM code that closed the stream (0 for a normal end), once closed. */
  rstCode: number | undefined = undefined;
  /** end() was called. */
  writableEnded = false;
  /** The peer's response HEADERS arrived. */
  responded = false;
  /** DATA the peer may still send (our receive window). */
  recvWindow: number;
  /** Bytes handed to the reader since the last WINDOW_UPDATE for this stream. */
  recvRead = 0;
  /** DATA we may still send (the peer's window for this stream). */
  sendWindow = 0;
  /** Request bytes not yet framed, and where the first one starts. */
  readonly queue: Buffer[] = [];
  queueOffset = 0;
  queuedBytes = 0;
  /** Our END_STREAM is framed. */
  localEnded = false;
  /** The peer's END_STREAM arrived. */
  remoteEnded = false;
  private paused = false;
  private readonly inbox: Delivery[] = [];

  /** node:http2's name for the peer having ended its side, which the channel reads. */
  get readableEnded(): boolean {
    return this.remoteEnded;
  }
  private deliveryScheduled = false;
  private needDrain = false;

  constructor(
    readonly session: ClientStreamConnection,
    recvWindow: number,
  ) {
    super();
    this.recvWindow = recvWindow;
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
    if (payload.length) this.inbox.push({ data: payload });
    if (end) this.ended();
    this.scheduleDelivery();
  }

  /** Trailers from the peer (they end its side). */
  receiveTrailers(fields: Record<string, string>, flags: number, raw: string[]): void {
    if (this.closed) return;
    this.inbox.push({ trailers: fields, flags, raw });
    this.ended();
    this.scheduleDelivery();
  }

  private ended(): void {
    this.remoteEnded = true;
    this.inbox.push({ end: true });
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    setImmediate(this.deliver);
  }

  private readonly deliver = (): void => {
    this.deliveryScheduled = false;
    while (this.inbox.length && !this.destroyed) {
      const d = this.inbox[0]!;
      if ("data" in d) {
        if (this.paused) return;
        this.inbox.shift();
        this.session.consumed(this, d.data.length);
        this.emit("data", d.data);
      } else if ("trailers" in d) {
        this.inbox.shift();
        this.emit("trailers", d.trailers, d.flags, d.raw);
      } else {
        this.inbox.shift();
        this.emit("end");
        // The response is complete: a request still open is cut short with
        // RST_STREAM NO_ERROR, as grpc-go's client does.
        if (!this.localEnded) this.session.sendReset(this, ErrorCode.NO_ERROR);
        this.finish(ErrorCode.NO_ERROR);
      }
    }
  };

  // --- the writer's side

  /** Queues request bytes; false when the queue is long enough that the writer should wait for 'drain'. */
  write(chunk: Buffer): boolean {
    if (this.destroyed || this.writableEnded) return false;
    if (chunk.length) {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
      this.session.wantsToSend(this);
    }
    if (this.queuedBytes < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** Ends the request, after `chunk` if given: END_STREAM rides on the last DATA frame. */
  end(chunk?: Buffer): this {
    if (this.destroyed || this.writableEnded) return this;
    if (chunk?.length) {
      this.queue.push(chunk);
      this.queuedBytes += chunk.length;
    }
    this.writableEnded = true;
    this.session.wantsToSend(this);
    return this;
  }

  /** Resets the stream with `code` (RST_STREAM) unless it is closed already. */
  close(code: number = ErrorCode.NO_ERROR): void {
    if (this.closed) return;
    this.session.sendReset(this, code);
    this.finish(code);
  }

  /**
   * As node:http2's destroy: an AbortError resets with CANCEL (so
   * `stream.addAbortSignal` cancels a call), another error with
   * INTERNAL_ERROR, none with NO_ERROR.
   */
  destroy(err?: Error): this {
    if (this.closed) return this;
    const code = !err ? ErrorCode.NO_ERROR : err.name === "AbortError" ? ErrorCode.CANCEL : ErrorCode.INTERNAL_ERROR;
    this.close(code);
    if (err && this.listenerCount("error")) process.nextTick(() => this.emit("error", err));
    return this;
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

  /** Our END_STREAM went out: the stream closes once the response has been read to its end. */
  endedLocally(): void {
    this.localEnded = true;
  }

  /** RST_STREAM from the peer, or a stream its GOAWAY left unprocessed (REFUSED_STREAM). */
  reset(code: number): void {
    if (this.closed) return;
    this.finish(code);
  }

  /**
   * The connection went: the stream ends here, unless the server had already ended its side: a
   * response read whole (trailers in the same read as the socket's end, as when a grpc-go server
   * closes an idle connection after GOAWAY) is still delivered, as node:http2 delivers it.
   */
  cut(): void {
    if (this.closed || this.remoteEnded) return;
    this.finish(ErrorCode.CANCEL);
  }

  private finish(code: number): void {
    this.closed = true;
    this.destroyed = true;
    this.rstCode = code;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.inbox.length = 0;
    this.session.release(this);
    process.nextTick(() => this.emit("close"));
  }
}
