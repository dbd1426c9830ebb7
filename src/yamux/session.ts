import type { Duplex } from "node:stream";
import { encodeHeader, Flag, FrameReader, FrameType, GoAwayCode, type Frame } from "./frame.js";
import { YamuxStream, YamuxStreamError, type StreamHost } from "./stream.js";

/** Settings; the defaults are yamux.DefaultConfig(), which go-plugin uses on both sides. */
export interface SessionOptions {
  /** Ping the peer this often; 0 turns keepalive off. Default 30 s. */
  keepAliveIntervalMs?: number;
  /** A ping unanswered this long ends the session (Go's ConnectionWriteTimeout). Default 10 s. */
  pingTimeoutMs?: number;
  /** Inbound streams not yet accepted beyond this many are refused with RST. Default 256. */
  acceptBacklog?: number;
  /** An opened stream not ACKed this long ends the session. Default 75 s. */
  streamOpenTimeoutMs?: number;
  /** Initial and maximum per-stream receive window. Default 256 KiB. */
  maxStreamWindow?: number;
  /** Where yamux's own warnings go (frames for unknown streams, backlog overflow). */
  log?: (message: string) => void;
}

export class YamuxSessionError extends Error {
  override readonly name = "YamuxSessionError";
  constructor(
    readonly code: "SHUTDOWN" | "PROTOCOL" | "KEEPALIVE" | "REMOTE_GOAWAY" | "OPEN_TIMEOUT" | "STREAMS_EXHAUSTED",
    message: string,
  ) {
    super(message);
  }
}

/**
 * A yamux session over one connection, wire-compatible with hashicorp/yamux
 * v0.1.x. The client opens odd stream ids, the server even ones. Opening
 * sends a WindowUpdate+SYN at once; an inbound stream is ACKed only when
 * `accept()` hands it out (go-plugin's knock protocol relies on that).
 */
export class YamuxSession implements StreamHost {
  readonly maxWindow: number;
  private readonly streams = new Map<number, YamuxStream>();
  private readonly backlog: YamuxStream[] = [];
  private readonly acceptors: Array<{ resolve: (s: YamuxStream) => void; reject: (e: Error) => void }> = [];
  private readonly pings = new Map<number, { resolve: (rtt: number) => void; reject: (err: Error) => void; timer: NodeJS.Timeout; start: number }>();
  private readonly openTimers = new Map<number, NodeJS.Timeout>();
  private readonly reader = new FrameReader();
  private nextStreamId: number;
  private nextPingId = 0;
  private framesReceived = 0;
  private keepAlive?: NodeJS.Timeout;
  private localGoAway = false;
  private remoteGoAway = false;
  private closedWith?: Error;
  private readonly closeWaiters: Array<() => void> = [];
  private readonly opts: Required<Omit<SessionOptions, "log">> & Pick<SessionOptions, "log">;

  constructor(
    private readonly conn: Duplex,
    readonly role: "client" | "server",
    opts: SessionOptions = {},
  ) {
    this.opts = {
      keepAliveIntervalMs: opts.keepAliveIntervalMs ?? 30_000,
      pingTimeoutMs: opts.pingTimeoutMs ?? 10_000,
      acceptBacklog: opts.acceptBacklog ?? 256,
      streamOpenTimeoutMs: opts.streamOpenTimeoutMs ?? 75_000,
      maxStreamWindow: opts.maxStreamWindow ?? 256 * 1024,
      log: opts.log,
    };
    this.maxWindow = this.opts.maxStreamWindow;
    this.nextStreamId = role === "client" ? 1 : 2;
    conn.on("data", (chunk: Buffer) => this.onChunk(chunk));
    conn.once("end", () => this.close());
    conn.once("close", () => this.close());
    conn.on("error", (err) => this.close(err));
    if (this.opts.keepAliveIntervalMs > 0) {
      this.keepAlive = setInterval(() => {
        const sent = this.framesReceived;
        this.ping().catch((err: Error) => {
          // A peer whose frames keep arriving is alive; its ACK is queued behind data we have yet to read.
          if (!this.isClosed && this.framesReceived === sent) {
            this.opts.log?.(`[ERR] yamux: keepalive failed: ${err.message}`);
            this.close(new YamuxSessionError("KEEPALIVE", "yamux: keepalive timeout"));
          }
        });
      }, this.opts.keepAliveIntervalMs);
      this.keepAlive.unref();
    }
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Streams open right now (both directions, accepted or not). */
  get numStreams(): number {
    return this.streams.size;
  }

  /** Resolves once the session has ended, with the reason (a normal close gives SHUTDOWN). */
  closed(): Promise<Error> {
    if (this.closedWith) return Promise.resolve(this.closedWith);
    return new Promise((resolve) => this.closeWaiters.push(() => resolve(this.closedWith!)));
  }

  /** Opens a stream; data may be written before the peer ACKs it. */
  open(): YamuxStream {
    if (this.closedWith) throw this.closedWith;
    if (this.remoteGoAway) throw new YamuxSessionError("REMOTE_GOAWAY", "yamux: remote end is not accepting connections");
    const id = this.nextStreamId;
    if (id > 0xffffffff) throw new YamuxSessionError("STREAMS_EXHAUSTED", "yamux: streams exhausted");
    this.nextStreamId += 2;
    const stream = new YamuxStream(this, id, false);
    this.streams.set(id, stream);
    stream.synchronize();
    const timer = setTimeout(() => {
      this.opts.log?.(`[ERR] yamux: aborted stream open (id ${id}): no ACK within ${this.opts.streamOpenTimeoutMs} ms`);
      this.close(new YamuxSessionError("OPEN_TIMEOUT", "yamux: stream open timeout"));
    }, this.opts.streamOpenTimeoutMs);
    timer.unref();
    this.openTimers.set(id, timer);
    return stream;
  }

  /** The next stream the peer opened; ACKs it. Rejects when the session ends or `signal` aborts. */
  accept(signal?: AbortSignal): Promise<YamuxStream> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const queued = this.backlog.shift();
    if (queued) {
      queued.acknowledge();
      return Promise.resolve(queued);
    }
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: (s: YamuxStream) => {
          signal?.removeEventListener("abort", onAbort);
          s.acknowledge();
          resolve(s);
        },
        reject: (e: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.acceptors.indexOf(entry);
        if (i >= 0) this.acceptors.splice(i, 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.acceptors.push(entry);
    });
  }

  /** Round-trip time of one ping, in ms; rejects after `pingTimeoutMs`, or with the reason when the session ends first. */
  ping(): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new YamuxSessionError("KEEPALIVE", "yamux: i/o deadline reached"));
      }, this.opts.pingTimeoutMs);
      timer.unref();
      this.pings.set(id, { resolve, reject, timer, start: performance.now() });
      this.write(encodeHeader(FrameType.Ping, Flag.SYN, 0, id));
    });
  }

  /** Tells the peer to open no more streams; ours stay usable. */
  goAway(): void {
    if (this.closedWith || this.localGoAway) return;
    this.localGoAway = true;
    this.write(encodeHeader(FrameType.GoAway, 0, 0, GoAwayCode.Normal));
  }

  /** Ends the session and every stream at once, and closes the connection. Idempotent. */
  close(err?: Error): void {
    if (this.closedWith) return;
    if (err) this.opts.log?.(`[ERR] yamux: session closed: ${err.message}`);
    this.closedWith = err ?? new YamuxSessionError("SHUTDOWN", "yamux: session shutdown");
    clearInterval(this.keepAlive);
    for (const t of this.openTimers.values()) clearTimeout(t);
    this.openTimers.clear();
    for (const p of this.pings.values()) {
      clearTimeout(p.timer);
      p.reject(this.closedWith);
    }
    this.pings.clear();
    const streamErr = new YamuxStreamError("SESSION_CLOSED", "yamux: session shutdown");
    for (const s of [...this.streams.values()]) s.abort(streamErr);
    this.streams.clear();
    this.backlog.length = 0;
    for (const a of this.acceptors.splice(0)) a.reject(this.closedWith);
    this.conn.destroy();
    for (const w of this.closeWaiters.splice(0)) w();
  }

  // StreamHost

  write(frame: Buffer, payload?: Buffer): void {
    if (this.closedWith || this.conn.destroyed) return;
    if (payload && payload.length) this.conn.write(Buffer.concat([frame, payload]));
    else this.conn.write(frame);
  }

  forget(id: number): void {
    this.streams.delete(id);
    const t = this.openTimers.get(id);
    if (t) clearTimeout(t);
    this.openTimers.delete(id);
    const i = this.backlog.findIndex((s) => s.id === id);
    if (i >= 0) this.backlog.splice(i, 1);
  }

  established(id: number): void {
    const t = this.openTimers.get(id);
    if (t) clearTimeout(t);
    this.openTimers.delete(id);
  }

  protocolError(message: string): void {
    this.opts.log?.(`[ERR] ${message}`);
    this.write(encodeHeader(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError));
    this.close(new YamuxSessionError("PROTOCOL", message));
  }

  private onChunk(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.opts.log?.(`[ERR] ${(err as Error).message}`);
      this.close(new YamuxSessionError("PROTOCOL", (err as Error).message));
      return;
    }
    this.framesReceived += frames.length;
    for (const f of frames) {
      if (this.closedWith) return;
      this.onFrame(f);
    }
  }

  private onFrame({ header: h, payload }: Frame): void {
    switch (h.type) {
      case FrameType.Ping:
        if (h.flags & Flag.SYN) this.write(encodeHeader(FrameType.Ping, Flag.ACK, 0, h.length));
        else {
          const p = this.pings.get(h.length);
          if (p) {
            this.pings.delete(h.length);
            clearTimeout(p.timer);
            p.resolve(performance.now() - p.start);
          }
        }
        return;
      case FrameType.GoAway:
        if (h.length === GoAwayCode.Normal) this.remoteGoAway = true;
        else {
          const what = h.length === GoAwayCode.ProtocolError ? "protocol error" : h.length === GoAwayCode.InternalError ? "internal error" : "unexpected";
          this.opts.log?.(`[ERR] yamux: received ${what} go away`);
          this.close(new YamuxSessionError("PROTOCOL", `yamux: received ${what} go away (code ${h.length})`));
        }
        return;
    }
    if (h.flags & Flag.SYN && !this.incoming(h.streamId)) return;
    const stream = this.streams.get(h.streamId);
    if (!stream) {
      // Most likely we reset or fully closed it; Go drops these too.
      if (h.type === FrameType.Data && h.length > 0) this.opts.log?.(`[WARN] yamux: Discarding data for stream: ${h.streamId}`);
      return;
    }
    if (h.type === FrameType.WindowUpdate) stream.onWindowUpdate(h.flags, h.length);
    else stream.onData(h.flags, payload!);
  }

  /** Registers a stream the peer opened; false if it was refused. */
  private incoming(id: number): boolean {
    if (this.localGoAway) {
      this.write(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return false;
    }
    if (this.streams.has(id)) {
      this.protocolError("yamux: duplicate stream declared");
      return false;
    }
    const stream = new YamuxStream(this, id, true);
    this.streams.set(id, stream);
    const acceptor = this.acceptors.shift();
    if (acceptor) {
      acceptor.resolve(stream);
      return true;
    }
    if (this.backlog.length >= this.opts.acceptBacklog) {
      this.opts.log?.("[WARN] yamux: backlog exceeded, forcing connection reset");
      this.streams.delete(id);
      this.write(encodeHeader(FrameType.WindowUpdate, Flag.RST, id, 0));
      return false;
    }
    this.backlog.push(stream);
    return true;
  }
}
