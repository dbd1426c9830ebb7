import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import {
  CLIENT_PREFACE,
  ConnectionError,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameReader,
  FrameType,
  MAX_ALLOWED_FRAME_SIZE,
  MAX_WINDOW,
  Setting,
  frameBytes,
  goawayFrame,
  headerFrames,
  rstStreamFrame,
  settingsFrame,
  unpadded,
  windowUpdateFrame,
  writeFrameHeader,
  type Frame,
} from "./frame.js";
import { HeaderListTooLargeError, HpackDecoder, HpackEncoder, HpackError } from "./hpack.js";
import { ClientStream, type ClientStreamConnection } from "./client-stream.js";
import { byName, flatten, type OutgoingFields } from "./fields.js";

export interface ClientSessionOptions {
  /** `:scheme` of every request. */
  scheme: "http" | "https";
  /** `:authority` of every request. */
  authority: string;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: what a peer may send on one stream before we read it. */
  streamWindow: number;
  /** The connection's receive window, announced with a WINDOW_UPDATE after our SETTINGS; default 65535. */
  connectionWindow?: number;
  /** Largest response header list accepted (RFC 9113 size); default 16 MiB. */
  maxHeaderListSize?: number;
}

/** A ping's answer: an error when the connection ended first; else the round trip in ms. */
export type PingCallback = (err: Error | null, durationMs: number, payload: Buffer) => void;

/** Unanswered PINGs beyond this are refused (node:http2's default maxOutstandingPings). */
const MAX_OUTSTANDING_PINGS = 10;
/** Control frames owed to a peer that does not read: beyond this, it floods us. */
const MAX_UNREAD_CONTROL = 1024 * 1024;
/** DATA framed per flush; the rest waits for the socket to drain. */
const DATA_PER_FLUSH = 256 * 1024;
/** Client stream ids are odd and below 2^31. */
const MAX_STREAM_ID = 2 ** 31 - 1;

/**
 * The client side of one HTTP/2 connection (RFC 9113) over any byte stream,
 * with the part of node:http2's ClientHttp2Session the gRPC channel uses:
 * request(), ping(), setLocalWindowSize(), ref/unref, close()/destroy(), and
 * the 'connect', 'goaway' (code, last stream id, debug data), 'error' and
 * 'close' events. No push (announced off), no priorities. Requests beyond the
 * peer's SETTINGS_MAX_CONCURRENT_STREAMS wait for a free slot.
 *
 * Outgoing frames collect during a tick and leave in one write; DATA leaves
 * only within both flow-control windows and while the socket keeps up.
 */
export class ClientSession extends EventEmitter implements ClientStreamConnection {
  readonly socket: Duplex & { ref?(): unknown; unref?(): unknown };
  /** No new requests: close() was called, the peer sent GOAWAY, or the connection ended. */
  closed = false;
  destroyed = false;
  private readonly streams = new Map<number, ClientStream>();
  /** Requests waiting for the peer's concurrency limit. */
  private readonly waiting: { s: ClientStream; fields: OutgoingFields; endStream: boolean }[] = [];
  private readonly sending = new Set<ClientStream>();
  private readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private readonly opts: ClientSessionOptions;
  private readonly maxHeaderList: number;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private nextStreamId = 1;
  private settingsSeen = false;
  private headerBlock?: { streamId: number; flags: number; parts: Buffer[]; size: number };
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxStreams = 2 ** 32 - 1;
  private connSendWindow = DEFAULT_WINDOW;
  /** The connection receive window we announce, what is left of it, and what was read since the last update. */
  private connWindowSize = DEFAULT_WINDOW;
  private connRecvWindow = DEFAULT_WINDOW;
  private connRecvUnacked = 0;
  private socketBlocked = false;
  private unreadControl = 0;
  private goawaySent = false;
  private readonly pings: { payload: Buffer; at: number; cb: PingCallback }[] = [];
  private pingSeq = 0;
  private closeTimer?: NodeJS.Timeout;

  constructor(socket: Duplex, opts: ClientSessionOptions) {
    super();
    this.socket = socket as ClientSession["socket"];
    this.opts = opts;
    this.maxHeaderList = opts.maxHeaderListSize ?? 16 << 20;
    this.decoder = new HpackDecoder({ maxHeaderListSize: this.maxHeaderList });
    this.out.push(
      CLIENT_PREFACE,
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, opts.streamWindow],
        [Setting.MAX_HEADER_LIST_SIZE, this.maxHeaderList],
      ]),
    );
    this.setLocalWindowSize(opts.connectionWindow ?? DEFAULT_WINDOW);
    this.scheduleFlush();
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("drain", () => {
      this.socketBlocked = false;
      this.unreadControl = 0;
      this.scheduleFlush();
    });
    socket.on("error", () => {});
    socket.on("end", () => this.destroy());
    socket.on("close", () => {
      if (this.closeTimer) clearTimeout(this.closeTimer);
      this.destroy();
    });
    // Writes wait in the socket until it connects; the session can take requests at once.
    process.nextTick(() => !this.destroyed && this.emit("connect", this, socket));
  }

  /** Opens a request stream; its HEADERS leave now, or once the peer's concurrency limit allows. */
  request(fields: OutgoingFields, options: { endStream?: boolean } = {}): ClientStream {
    if (this.closed) throw new Error(this.destroyed ? "the HTTP/2 session is destroyed" : "the HTTP/2 session is closing");
    const full: OutgoingFields = { ":method": fields[":method"], ":scheme": this.opts.scheme, ":authority": this.opts.authority, ...fields };
    const s = new ClientStream(this, this.opts.streamWindow);
    const endStream = !!options.endStream;
    if (endStream) s.writableEnded = true;
    if (this.streams.size < this.peerMaxStreams) this.open(s, full, endStream);
    else this.waiting.push({ s, fields: full, endStream });
    return s;
  }

  /** Sends a PING; `cb` gets its ACK. False (and no PING) while too many are unanswered. */
  ping(cb: PingCallback): boolean {
    if (this.destroyed) throw new Error("the HTTP/2 session is destroyed");
    if (this.pings.length >= MAX_OUTSTANDING_PINGS) return false;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pingSeq >>> 0, 4);
    this.pings.push({ payload, at: performance.now(), cb });
    this.push(frameBytes(FrameType.PING, 0, 0, payload));
    return true;
  }

  /** Grows the connection's receive window to `size` bytes (it never shrinks). */
  setLocalWindowSize(size: number): void {
    if (size <= this.connWindowSize || this.destroyed) return;
    const inc = Math.min(size, MAX_WINDOW) - this.connWindowSize;
    this.connWindowSize += inc;
    this.connRecvWindow += inc;
    this.push(windowUpdateFrame(0, inc));
  }

  ref(): void {
    this.socket.ref?.();
  }

  unref(): void {
    this.socket.unref?.();
  }

  /** Graceful close: no new requests; those in flight run to their end, then the connection closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endIfIdle();
  }

  /** Cuts the connection and every stream on it (GOAWAY NO_ERROR goes out first when it still can). */
  destroy(err?: Error): void {
    if (this.destroyed) return;
    if (!this.goawaySent && !this.socket.destroyed && this.socket.writable) {
      this.goawaySent = true;
      this.out.push(goawayFrame(0, ErrorCode.NO_ERROR));
      this.flush();
    }
    this.endSocket();
    this.teardown(err);
  }

  // --- ClientStreamConnection

  wantsToSend(s: ClientStream): void {
    if (!s.id) return;
    this.sending.add(s);
    this.scheduleFlush();
  }

  sendReset(s: ClientStream, code: number): void {
    if (s.id) this.push(rstStreamFrame(s.id, code));
  }

  consumed(s: ClientStream, n: number): void {
    if (s.closed) return;
    s.recvRead += n;
    // One WINDOW_UPDATE per quarter window read, not one per frame.
    if (s.recvRead < this.opts.streamWindow / 4) return;
    this.push(windowUpdateFrame(s.id, s.recvRead));
    s.recvWindow += s.recvRead;
    s.recvRead = 0;
  }

  release(s: ClientStream): void {
    if (!s.id) {
      const i = this.waiting.findIndex((w) => w.s === s);
      if (i >= 0) this.waiting.splice(i, 1);
      return;
    }
    this.streams.delete(s.id);
    this.sending.delete(s);
    this.openWaiting();
    this.endIfIdle();
  }

  // --- opening

  private open(s: ClientStream, fields: OutgoingFields, endStream: boolean): void {
    if (this.nextStreamId > MAX_STREAM_ID) {
      // Out of stream ids: this connection takes no more; the caller's next one starts afresh.
      this.closed = true;
      s.reset(ErrorCode.REFUSED_STREAM);
      return this.endIfIdle();
    }
    s.id = this.nextStreamId;
    this.nextStreamId += 2;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(s.id, s);
    this.push(headerFrames(s.id, this.encoder.encode(flatten(fields)), endStream, this.peerMaxFrameSize));
    if (endStream) s.endedLocally();
    else if (s.queuedBytes || s.writableEnded) this.wantsToSend(s);
  }

  private openWaiting(): void {
    while (this.waiting.length && this.streams.size < this.peerMaxStreams && !this.destroyed) {
      const w = this.waiting.shift()!;
      this.open(w.s, w.fields, w.endStream);
    }
  }

  // --- reading

  private onBytes(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.reader.push(chunk, this.frameHandler);
    } catch (err) {
      if (err instanceof ConnectionError) return this.fail(err.code, err.message);
      if (err instanceof HpackError) return this.fail(ErrorCode.COMPRESSION_ERROR, (err as Error).message);
      throw err;
    }
  }

  private readonly frameHandler = (f: Frame): boolean => {
    this.onFrame(f);
    return !this.destroyed;
  };

  private onFrame(f: Frame): void {
    if (!this.settingsSeen && (f.type !== FrameType.SETTINGS || f.flags & Flag.ACK)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the server preface must start with SETTINGS");
    }
    if (this.headerBlock && f.type !== FrameType.CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `frame of type ${f.type} inside a header block`);
    }
    switch (f.type) {
      case FrameType.DATA:
        return this.onData(f);
      case FrameType.HEADERS:
        return this.onHeaders(f);
      case FrameType.CONTINUATION:
        return this.onContinuation(f);
      case FrameType.RST_STREAM:
        return this.onReset(f);
      case FrameType.SETTINGS:
        return this.onSettings(f);
      case FrameType.PING:
        return this.onPing(f);
      case FrameType.GOAWAY:
        return this.onGoaway(f);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(f);
      case FrameType.PRIORITY:
        if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (f.payload.length !== 5) this.resetStream(f.streamId, ErrorCode.FRAME_SIZE_ERROR);
        return;
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE although push is disabled");
      default:
        // Unknown frame types are ignored (RFC 9113 §5.5).
        return;
    }
  }

  /** A stream id the server may name: one we opened. */
  private checkOpened(id: number, what: string): void {
    if (id % 2 === 0 || id >= this.nextStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
  }

  private onData(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    const size = f.payload.length;
    this.connRecvWindow -= size;
    if (this.connRecvWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    // The connection window comes back as frames arrive: each stream's own window bounds what waits unread.
    this.connRecvUnacked += size;
    if (this.connRecvUnacked >= this.connWindowSize / 4) {
      this.push(windowUpdateFrame(0, this.connRecvUnacked));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(f.streamId);
    if (!s) {
      this.checkOpened(f.streamId, "DATA");
      // A stream we closed or reset: its late frames are dropped.
      return;
    }
    if (s.remoteEnded) return this.resetStream(s.id, ErrorCode.STREAM_CLOSED);
    if (!s.responded) return this.resetStream(s.id, ErrorCode.PROTOCOL_ERROR);
    s.recvWindow -= size;
    if (s.recvWindow < 0) return this.resetStream(s.id, ErrorCode.FLOW_CONTROL_ERROR);
    const body = unpadded(f);
    // Padding is never read by anyone: it is credited at once.
    if (body.length < size) this.consumed(s, size - body.length);
    s.receive(body, (f.flags & Flag.END_STREAM) !== 0);
  }

  private onHeaders(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
    const block = unpadded(f);
    if (f.flags & Flag.END_HEADERS) return this.onHeaderBlock(f.streamId, f.flags, block);
    this.headerBlock = { streamId: f.streamId, flags: f.flags, parts: [Buffer.from(block)], size: block.length };
  }

  private onContinuation(f: Frame): void {
    const hb = this.headerBlock;
    if (!hb || hb.streamId !== f.streamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a header block in progress on its stream");
    hb.size += f.payload.length;
    if (hb.size > this.maxHeaderList + 65_536) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `header block over ${hb.size} bytes`);
    hb.parts.push(Buffer.from(f.payload));
    if (!(f.flags & Flag.END_HEADERS)) return;
    this.headerBlock = undefined;
    this.onHeaderBlock(hb.streamId, hb.flags | Flag.END_HEADERS, Buffer.concat(hb.parts, hb.size));
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    // Decoded whatever becomes of the stream: the decoder's table must follow the peer's encoder.
    let raw: string[];
    try {
      raw = this.decoder.decode(block);
    } catch (err) {
      if (!(err instanceof HeaderListTooLargeError)) throw err;
      // Too large a list, but the table is in step: only this stream is lost.
      this.checkOpened(id, "HEADERS");
      return this.resetStream(id, ErrorCode.FRAME_SIZE_ERROR);
    }
    const s = this.streams.get(id);
    if (!s) return this.checkOpened(id, "HEADERS");
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (s.remoteEnded) return this.resetStream(id, ErrorCode.STREAM_CLOSED);
    const fields = byName(raw);
    if (!s.responded) {
      const status = Number(fields[":status"]);
      if (!Number.isInteger(status)) return this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
      // Informational answers (1xx) precede the response; gRPC has no use for them.
      if (status < 200 && !endStream) return;
      s.responded = true;
      s.emit("response", fields, flags, raw);
      if (endStream) s.receive(Buffer.alloc(0), true);
      return;
    }
    // Trailers: they must end the response.
    if (!endStream) return this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
    s.receiveTrailers(fields, flags, raw);
  }

  private onReset(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (f.payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM payload is not 4 bytes");
    const s = this.streams.get(f.streamId);
    if (!s) return this.checkOpened(f.streamId, "RST_STREAM");
    s.reset(f.payload.readUInt32BE(0));
  }

  private onSettings(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (f.flags & Flag.ACK) {
      if (f.payload.length) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ack with a payload");
      return;
    }
    if (f.payload.length % 6) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS payload is not a multiple of 6 bytes");
    this.settingsSeen = true;
    for (let at = 0; at < f.payload.length; at += 6) {
      const id = f.payload.readUInt16BE(at);
      const v = f.payload.readUInt32BE(at + 2);
      switch (id) {
        case Setting.ENABLE_PUSH:
          // A server never sends it (RFC 9113 §6.5.2).
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a server sent SETTINGS_ENABLE_PUSH");
        case Setting.INITIAL_WINDOW_SIZE: {
          if (v > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${v}`);
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "a stream window grew past 2^31-1");
            if (delta > 0 && (s.queuedBytes || s.writableEnded)) this.sending.add(s);
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (v < DEFAULT_MAX_FRAME_SIZE || v > MAX_ALLOWED_FRAME_SIZE) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${v}`);
          this.peerMaxFrameSize = v;
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = v;
          break;
        default:
          // HEADER_TABLE_SIZE does not bind an encoder that never indexes; MAX_HEADER_LIST_SIZE is advisory.
          break;
      }
    }
    this.push(frameBytes(FrameType.SETTINGS, Flag.ACK, 0));
    this.openWaiting();
  }

  private onPing(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
    if (f.payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING payload is not 8 bytes");
    if (!(f.flags & Flag.ACK)) return this.push(frameBytes(FrameType.PING, Flag.ACK, 0, f.payload));
    const i = this.pings.findIndex((p) => p.payload.equals(f.payload));
    // An ACK for no PING of ours is ignored.
    if (i < 0) return;
    const [p] = this.pings.splice(i, 1);
    p!.cb(null, performance.now() - p!.at, p!.payload);
  }

  private onGoaway(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (f.payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
    const last = f.payload.readUInt32BE(0) & 0x7fffffff;
    const code = f.payload.readUInt32BE(4);
    const data = Buffer.from(f.payload.subarray(8));
    this.closed = true;
    // Streams the server never processed are refused, so their calls may be retried elsewhere.
    for (const s of [...this.streams.values()]) if (s.id > last) s.reset(ErrorCode.REFUSED_STREAM);
    for (const w of this.waiting.splice(0)) w.s.reset(ErrorCode.REFUSED_STREAM);
    this.emit("goaway", code, last, data);
    if (code === ErrorCode.NO_ERROR) return this.endIfIdle();
    // An error GOAWAY ends the connection at once, as node:http2 does.
    this.destroy(new Error(`the server sent GOAWAY with error code ${code}`));
  }

  private onWindowUpdate(f: Frame): void {
    if (f.payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE payload is not 4 bytes");
    const inc = f.payload.readUInt32BE(0) & 0x7fffffff;
    if (f.streamId === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection");
      this.connSendWindow += inc;
      if (this.connSendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window grew past 2^31-1");
      if (this.sending.size) this.scheduleFlush();
      return;
    }
    const s = this.streams.get(f.streamId);
    if (!s) return this.checkOpened(f.streamId, "WINDOW_UPDATE");
    if (inc === 0) return this.resetStream(s.id, ErrorCode.PROTOCOL_ERROR);
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) return this.resetStream(s.id, ErrorCode.FLOW_CONTROL_ERROR);
    if ((s.queuedBytes || s.writableEnded) && !s.localEnded) this.wantsToSend(s);
  }

  // --- writing

  private resetStream(id: number, code: number): void {
    const s = this.streams.get(id);
    if (s) s.close(code);
    else this.push(rstStreamFrame(id, code));
  }

  private push(frame: Buffer): void {
    this.out.push(frame);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.destroyed) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.socketBlocked && !this.destroyed) {
      let budget = DATA_PER_FLUSH;
      for (const s of this.sending) {
        budget -= this.sendData(s, budget);
        if (budget <= 0) break;
      }
      if (budget <= 0) this.scheduleFlush();
    }
    const out = this.out;
    if (!out.length || this.socket.destroyed) return;
    this.out = [];
    const sock = this.socket;
    if (this.socketBlocked && !this.goawaySent) {
      for (const b of out) this.unreadControl += b.length;
      if (this.unreadControl > MAX_UNREAD_CONTROL) return this.fail(ErrorCode.ENHANCE_YOUR_CALM, "the server does not read what it asks for");
    }
    let ok: boolean;
    if (out.length === 1) ok = sock.write(out[0]);
    else {
      sock.cork();
      for (let i = 0; i < out.length - 1; i++) sock.write(out[i]);
      ok = sock.write(out[out.length - 1]);
      sock.uncork();
    }
    if (!ok) this.socketBlocked = true;
  }

  /**
   * Frames up to `budget` bytes of what `s` has queued, as far as both windows
   * allow; END_STREAM rides on its last byte. Returns the bytes framed.
   */
  private sendData(s: ClientStream, budget: number): number {
    let sent = 0;
    while (s.queuedBytes && !s.closed && sent < budget) {
      const room = Math.min(this.peerMaxFrameSize, this.connSendWindow, s.sendWindow);
      if (room <= 0) return sent;
      const payload = s.take(room);
      sent += payload.length;
      this.connSendWindow -= payload.length;
      const h = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      const last = !s.queuedBytes && s.writableEnded;
      writeFrameHeader(h, 0, payload.length, FrameType.DATA, last ? Flag.END_STREAM : 0, s.id);
      this.out.push(h, payload);
      if (last) {
        s.endedLocally();
        this.sending.delete(s);
        return sent;
      }
    }
    if (!s.queuedBytes) {
      this.sending.delete(s);
      if (s.writableEnded && !s.localEnded && !s.closed) {
        this.out.push(frameBytes(FrameType.DATA, Flag.END_STREAM, s.id));
        s.endedLocally();
      }
    }
    return sent;
  }

  // --- ending

  /** A connection error: GOAWAY with `code`, then the connection and its streams end. */
  private fail(code: number, message: string): void {
    if (this.destroyed) return;
    this.goawaySent = true;
    this.out.push(goawayFrame(0, code, message));
    this.flush();
    this.endSocket();
    this.teardown(new Error(`HTTP/2 connection error (code ${code}): ${message}`));
  }

  private endIfIdle(): void {
    if (this.destroyed || this.streams.size || this.waiting.length || !this.closed) return;
    // On the next tick: a stream is released while its last frame is being framed, before that frame is queued.
    process.nextTick(() => {
      if (!this.destroyed && !this.streams.size) this.destroy();
    });
  }

  private endSocket(): void {
    if (this.closeTimer || this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
    this.closeTimer = setTimeout(() => this.socket.destroy(), 1000);
    this.closeTimer.unref();
  }

  private teardown(err?: Error): void {
    this.closed = true;
    this.destroyed = true;
    // Before the streams close: their owner reads the reason from it.
    if (err && this.listenerCount("error")) this.emit("error", err);
    for (const s of [...this.streams.values()]) s.cut();
    for (const w of this.waiting.splice(0)) w.s.cut();
    this.streams.clear();
    this.sending.clear();
    this.out = [];
    const cancelled = new Error("the HTTP/2 session ended before the PING was answered");
    for (const p of this.pings.splice(0)) p.cb(cancelled, 0, p.payload);
    process.nextTick(() => this.emit("close"));
  }
}
