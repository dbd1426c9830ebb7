import { Duplex } from "node:stream";
import { encodeHeader, Flag, FrameType } from "./frame.js";

/** What a stream needs from its session (kept as an interface so the two files do not import each other). */
export interface StreamHost {
  readonly maxWindow: number;
  readonly isClosed: boolean;
  write(frame: Buffer, payload?: Buffer): void;
  /** The stream is finished in both directions (or reset): forget it. */
  forget(id: number): void;
  /** A peer broke the protocol on this stream: the whole session ends, as in Go. */
  protocolError(message: string): void;
  /** Called once the opener's SYN got its ACK. */
  established(id: number): void;
}

export class YamuxStreamError extends Error {
  override readonly name = "YamuxStreamError";
  constructor(
    readonly code: "RESET" | "SESSION_CLOSED" | "CLOSED",
    message: string,
  ) {
    super(message);
  }
}

/**
 * One yamux stream as a Node Duplex. Writes are cut to the peer's window and
 * wait for WindowUpdates; reads grant window back as the consumer drains,
 * like Go's Stream.Read (an update once at least half the window is free).
 * `end()` sends FIN; `destroy()` sends FIN, or RST when given an error.
 */
export class YamuxStream extends Duplex {
  private sendWindow: number;
  private recvWindow: number;
  private localFin = false;
  private remoteFin = false;
  private reset = false;
  private forgotten = false;
  private waitingWrite?: () => void;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    /** True for a stream the peer opened (its ACK goes out on accept). */
    readonly inbound: boolean,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024 });
    this.sendWindow = host.maxWindow;
    this.recvWindow = host.maxWindow;
  }

  /** Frames for this stream from the session's read loop. */
  onData(flags: number, payload: Buffer): void {
    if (payload.length > this.recvWindow) {
      this.host.protocolError(
        `yamux: receive window exceeded (stream: ${this.id}, remain: ${this.recvWindow}, recv: ${payload.length})`,
      );
      return;
    }
    if (payload.length) {
      this.recvWindow -= payload.length;
      if (!this.remoteFin && !this.destroyed) this.push(payload);
    }
    this.onFlags(flags);
  }

  onWindowUpdate(flags: number, delta: number): void {
    this.sendWindow += delta;
    this.onFlags(flags);
    const resume = this.waitingWrite;
    if (resume && this.sendWindow > 0) {
      this.waitingWrite = undefined;
      resume();
    }
  }

  /** The session ended under this stream. */
  abort(err: Error): void {
    this.forgotten = true;
    this.destroy(err);
  }

  /** Sends the ACK for an inbound stream: the application took it. */
  acknowledge(): void {
    this.control(Flag.ACK, 0);
  }

  /** Sends the SYN that opens an outbound stream. */
  synchronize(): void {
    this.control(Flag.SYN, 0);
  }

  private onFlags(flags: number): void {
    if (flags & Flag.ACK) this.host.established(this.id);
    if (flags & Flag.FIN && !this.remoteFin) {
      this.remoteFin = true;
      this.push(null);
      if (this.localFin) this.forget();
    }
    if (flags & Flag.RST) {
      this.reset = true;
      this.forget();
      this.destroy(new YamuxStreamError("RESET", `yamux: stream ${this.id} reset by peer`));
    }
  }

  override _read(): void {
    // Go grants window once the reader has drained at least half of it.
    const delta = this.host.maxWindow - this.readableLength - this.recvWindow;
    if (delta >= this.host.maxWindow / 2 && !this.remoteFin && !this.reset) {
      this.recvWindow += delta;
      this.control(0, delta);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let at = 0;
    const step = (): void => {
      while (at < chunk.length) {
        if (this.reset) return cb(new YamuxStreamError("RESET", `yamux: stream ${this.id} reset by peer`));
        if (this.host.isClosed) return cb(new YamuxStreamError("SESSION_CLOSED", "yamux: session shutdown"));
        if (this.destroyed) return cb(new YamuxStreamError("CLOSED", "yamux: stream closed"));
        if (this.sendWindow === 0) {
          this.waitingWrite = step;
          return;
        }
        const n = Math.min(this.sendWindow, chunk.length - at);
        this.host.write(encodeHeader(FrameType.Data, 0, this.id, n), chunk.subarray(at, at + n));
        this.sendWindow -= n;
        at += n;
      }
      cb();
    };
    step();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendFin();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // A write parked on a closed window ends now with the reason, so write(…, cb) and end(cb) callers are not left waiting.
    const parked = this.waitingWrite;
    this.waitingWrite = undefined;
    parked?.();
    if (!this.forgotten && !this.reset && !this.host.isClosed) {
      if (err) {
        this.control(Flag.RST, 0);
        this.reset = true;
      } else this.sendFin();
    }
    this.forget();
    cb(err);
  }

  private sendFin(): void {
    if (this.localFin || this.reset) return;
    this.localFin = true;
    this.control(Flag.FIN, 0);
    if (this.remoteFin) this.forget();
  }

  private control(flags: number, delta: number): void {
    if (!this.host.isClosed) this.host.write(encodeHeader(FrameType.WindowUpdate, flags, this.id, delta));
  }

  private forget(): void {
    if (this.forgotten) return;
    this.forgotten = true;
    this.host.forget(this.id);
  }
}
