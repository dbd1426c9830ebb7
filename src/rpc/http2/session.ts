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
import { ServerStream, type StreamConnection } from "./stream.js";
import { flatten, type OutgoingFields } from "./fields.js";

export interface ServerSessionOptions {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: what a peer may send on one stream before we read it. */
  streamWindow: number;
  /** The connection's receive window, announced with a WINDOW_UPDATE after our SETTINGS. */
  connectionWindow: number;
  /** Largest header list a request may carry (RFC 9113 size); grpc-go's server default is 16 MiB. */
  maxHeaderListSize?: number;
}

/** A request: its stream, its header fields by name (first value), and all of them as name, value, … */
export type StreamListener = (stream: ServerStream, headers: Record<string, string>, raw: string[]) => void;

/** Header fields HTTP/2 forbids in a request (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const REQUEST_PSEUDO = new Set([":method", ":scheme", ":path", ":authority"]);

/** Control frames (PING and SETTINGS acks, resets) owed to a peer that does not read: beyond this, it floods us. */
const MAX_UNREAD_CONTROL = 1024 * 1024;
/** DATA framed per flush; the rest waits for the socket to drain, so one call cannot fill memory at once. */
const DATA_PER_FLUSH = 256 * 1024;

/**
 * The server side of one HTTP/2 connection (RFC 9113) over any byte stream,
 * as much as gRPC needs: requests on client-opened streams, flow control both
 * ways, SETTINGS, PING, GOAWAY and RST_STREAM; no push, no priorities. Emits
 * 'stream' (see StreamListener) and 'close'.
 *
 * Outgoing frames collect during a tick and leave in one write; DATA leaves
 * only within both flow-control windows and while the socket keeps up.
 */
export class ServerSession extends EventEmitter implements StreamConnection {
  readonly socket: Duplex & { remoteAddress?: string; remotePort?: number };
  closed = false;
  private readonly streams = new Map<number, ServerStream>();
  private readonly sending = new Set<ServerStream>();
  private readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private readonly opts: ServerSessionOptions;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private prefaceSeen = 0;
  private settingsSeen = false;
  /** Highest stream id the peer opened (GOAWAY's last stream id). */
  private lastStreamId = 0;
  /** A header block in progress: its stream, HEADERS flags and pieces. */
  private headerBlock?: { streamId: number; flags: number; parts: Buffer[]; size: number };
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private peerInitialWindow = DEFAULT_WINDOW;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvWindow: number;
  private connRecvUnacked = 0;
  private goawaySent = false;
  private peerGoaway = false;
  private socketBlocked = false;
  /** Bytes of frames written while the socket was not draining. */
  private unreadControl = 0;
  private goawayErrorSent = false;
  /** Ends a connection whose peer never closes its side after ours. */
  private closeTimer?: NodeJS.Timeout;

  constructor(socket: Duplex, opts: ServerSessionOptions) {
    super();
    this.socket = socket as ServerSession["socket"];
    this.opts = opts;
    this.decoder = new HpackDecoder({ maxHeaderListSize: opts.maxHeaderListSize });
    this.connRecvWindow = opts.connectionWindow;
    this.push(
      settingsFrame([
        [Setting.MAX_CONCURRENT_STREAMS, 2 ** 32 - 1],
        [Setting.INITIAL_WINDOW_SIZE, opts.streamWindow],
      ]),
    );
    if (opts.connectionWindow > DEFAULT_WINDOW) this.push(windowUpdateFrame(0, opts.connectionWindow - DEFAULT_WINDOW));
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("drain", () => {
      this.socketBlocked = false;
      this.unreadControl = 0;
      this.scheduleFlush();
    });
    socket.on("error", () => {});
    socket.on("end", () => this.destroy());
    socket.on("close", () => this.onSocketClose());
  }

  /** Graceful close: GOAWAY, requests in flight run to their end, then the connection closes. */
  close(): void {
    if (this.closed) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.push(goawayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    }
    this.endIfIdle();
  }

  /** Cuts the connection and every stream on it. */
  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    this.onSocketClose();
  }

  // --- StreamConnection

  sendHeaders(s: ServerStream, fields: OutgoingFields, endStream: boolean): void {
    // Trailers come only after 'wantTrailers', when the stream's DATA has all been framed (stream.ts).
    this.push(headerFrames(s.id, this.encoder.encode(flatten(fields)), endStream, this.peerMaxFrameSize));
  }

  wantsToSend(s: ServerStream): void {
    this.sending.add(s);
    this.scheduleFlush();
  }

  sendReset(s: ServerStream, code: number): void {
    this.push(rstStreamFrame(s.id, code));
  }

  consumed(s: ServerStream, n: number): void {
    if (s.closed) return;
    s.recvRead += n;
    // One WINDOW_UPDATE per quarter window read, not one per frame.
    if (s.recvRead < this.opts.streamWindow / 4) return;
    this.push(windowUpdateFrame(s.id, s.recvRead));
    s.recvWindow += s.recvRead;
    s.recvRead = 0;
  }

  release(s: ServerStream): void {
    this.streams.delete(s.id);
    this.sending.delete(s);
    this.endIfIdle();
  }

  // --- reading

  private onBytes(chunk: Buffer): void {
    // After a connection error nothing more is read (the reader would keep it).
    if (this.closed || this.goawayErrorSent) return;
    try {
      if (this.prefaceSeen < CLIENT_PREFACE.length) {
        const n = Math.min(CLIENT_PREFACE.length - this.prefaceSeen, chunk.length);
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) {
          // Not HTTP/2 with prior knowledge: nothing to answer in its language.
          return this.destroy();
        }
        this.prefaceSeen += n;
        chunk = chunk.subarray(n);
        if (!chunk.length) return;
      }
      this.reader.push(chunk, this.frameHandler);
    } catch (err) {
      if (err instanceof ConnectionError) return this.fail(err.code, err.message);
      if (err instanceof HpackError) return this.fail(ErrorCode.COMPRESSION_ERROR, (err as Error).message);
      throw err;
    }
  }

  private readonly frameHandler = (f: Frame): boolean => {
    this.onFrame(f);
    return !this.closed && !this.goawayErrorSent;
  };

  private onFrame(f: Frame): void {
    if (!this.settingsSeen) {
      if (f.type !== FrameType.SETTINGS || f.flags & Flag.ACK) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the client preface must start with SETTINGS");
      }
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
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a client sent PUSH_PROMISE");
      default:
        // Unknown frame types are ignored (RFC 9113 §5.5).
        return;
    }
  }

  private onData(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    const size = f.payload.length;
    this.connRecvWindow -= size;
    if (this.connRecvWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    // The connection window comes back as frames arrive: each stream's own window bounds what waits unread.
    this.connRecvUnacked += size;
    if (this.connRecvUnacked >= this.opts.connectionWindow / 4) {
      this.push(windowUpdateFrame(0, this.connRecvUnacked));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(f.streamId);
    if (!s) {
      if (f.streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${f.streamId}`);
      // A stream we closed or reset: its late frames are dropped.
      return;
    }
    if (s.remoteEnded) return this.resetStream(s.id, ErrorCode.STREAM_CLOSED);
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
    if (hb.size > (this.opts.maxHeaderListSize ?? 16 << 20) + 65_536) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `header block over ${hb.size} bytes`);
    }
    hb.parts.push(Buffer.from(f.payload));
    if (!(f.flags & Flag.END_HEADERS)) return;
    this.headerBlock = undefined;
    this.onHeaderBlock(hb.streamId, hb.flags, Buffer.concat(hb.parts, hb.size));
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    // Decoded whatever becomes of the stream: the decoder's table must follow the peer's encoder.
    let raw: string[];
    try {
      raw = this.decoder.decode(block);
    } catch (err) {
      if (!(err instanceof HeaderListTooLargeError)) throw err;
      // The whole block was read, so the table is in step: only this request is refused, as grpc-go's server does.
      if (!this.streams.has(id) && id % 2 === 1 && id > this.lastStreamId) this.lastStreamId = id;
      return this.resetStream(id, ErrorCode.FRAME_SIZE_ERROR);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const open = this.streams.get(id);
    if (open) {
      // Trailers: they must end the request.
      if (open.remoteEnded || !endStream) return this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
      open.receive(Buffer.alloc(0), true);
      return;
    }
    if (id % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `client opened even stream ${id}`);
    if (id <= this.lastStreamId) throw new ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    this.lastStreamId = id;
    if (this.goawaySent || this.peerGoaway) return this.resetStream(id, ErrorCode.REFUSED_STREAM);
    const headers = requestHeaders(raw);
    if (!headers) return this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
    const s = new ServerStream(id, this, this.opts.streamWindow, this.peerInitialWindow);
    this.streams.set(id, s);
    // The request's end is known before the handler runs: an answer given at once then closes the stream, with no RST_STREAM.
    if (endStream) s.receive(Buffer.alloc(0), true);
    this.emit("stream", s, headers, raw);
  }

  private onReset(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (f.payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM payload is not 4 bytes");
    if (f.streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${f.streamId}`);
    this.streams.get(f.streamId)?.reset();
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
          if (v > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${v}`);
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (v > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${v}`);
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "a stream window grew past 2^31-1");
            if (delta > 0 && s.queuedBytes) this.sending.add(s);
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (v < DEFAULT_MAX_FRAME_SIZE || v > MAX_ALLOWED_FRAME_SIZE) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${v}`);
          }
          this.peerMaxFrameSize = v;
          break;
        default:
          // HEADER_TABLE_SIZE does not bind an encoder that never indexes; the rest do not bind a server.
          break;
      }
    }
    this.push(frameBytes(FrameType.SETTINGS, Flag.ACK, 0));
    this.scheduleFlush();
  }

  private onPing(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
    if (f.payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING payload is not 8 bytes");
    if (f.flags & Flag.ACK) return;
    this.push(frameBytes(FrameType.PING, Flag.ACK, 0, f.payload));
  }

  private onGoaway(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (f.payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
    this.peerGoaway = true;
    this.endIfIdle();
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
    if (!s) {
      if (f.streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${f.streamId}`);
      return;
    }
    if (inc === 0) return this.resetStream(s.id, ErrorCode.PROTOCOL_ERROR);
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) return this.resetStream(s.id, ErrorCode.FLOW_CONTROL_ERROR);
    if (s.queuedBytes || s.endRequested) this.wantsToSend(s);
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
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    if (!this.socketBlocked) {
      let budget = DATA_PER_FLUSH;
      for (const s of this.sending) {
        budget -= this.sendData(s, budget);
        if (budget <= 0) break;
      }
      if (budget <= 0) this.scheduleFlush();
    }
    const out = this.out;
    if (!out.length) return;
    this.out = [];
    const sock = this.socket;
    // The GOAWAY that ends a flood is written all the same: it is the last frame.
    if (this.socketBlocked && !this.goawayErrorSent) {
      for (const b of out) this.unreadControl += b.length;
      if (this.unreadControl > MAX_UNREAD_CONTROL) return this.fail(ErrorCode.ENHANCE_YOUR_CALM, "the client does not read what it asks for");
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
   * allow; its end follows its last byte. Returns the bytes framed.
   */
  private sendData(s: ServerStream, budget: number): number {
    let sent = 0;
    while (s.queuedBytes && !s.closed && sent < budget) {
      const room = Math.min(this.peerMaxFrameSize, this.connSendWindow, s.sendWindow);
      if (room <= 0) return sent;
      const payload = s.take(room);
      sent += payload.length;
      this.connSendWindow -= payload.length;
      const h = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      const last = !s.queuedBytes && s.endRequested;
      const endNow = last && s.queueDrainedAtEnd();
      writeFrameHeader(h, 0, payload.length, FrameType.DATA, endNow ? Flag.END_STREAM : 0, s.id);
      this.out.push(h, payload);
      if (last) {
        this.sending.delete(s);
        return sent;
      }
    }
    if (!s.queuedBytes) {
      this.sending.delete(s);
      if (s.endRequested && !s.closed && s.queueDrainedAtEnd()) this.out.push(frameBytes(FrameType.DATA, Flag.END_STREAM, s.id));
    }
    return sent;
  }

  // --- ending

  private fail(code: number, message: string): void {
    if (this.goawayErrorSent || this.closed) return;
    this.goawayErrorSent = true;
    this.goawaySent = true;
    this.out.push(goawayFrame(this.lastStreamId, code, message));
    this.flush();
    this.endSocket();
  }

  private endIfIdle(): void {
    if (this.closed || this.streams.size || !(this.goawaySent || this.peerGoaway)) return;
    // On the next tick: a stream is released while its last DATA frame is being framed, before that frame is queued.
    process.nextTick(() => {
      if (this.closed || this.streams.size) return;
      this.flush();
      this.endSocket();
    });
  }

  private endSocket(): void {
    if (this.closeTimer) return;
    this.socket.end(() => this.destroy());
    this.closeTimer = setTimeout(() => this.destroy(), 1000);
    this.closeTimer.unref();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    for (const s of [...this.streams.values()]) s.cut();
    this.streams.clear();
    this.sending.clear();
    this.out = [];
    this.emit("close");
  }
}

/** A request's fields by name, or undefined when malformed (RFC 9113 §8.1.1: a stream error). */
function requestHeaders(raw: string[]): Record<string, string> | undefined {
  const h: Record<string, string> = {};
  let regular = false;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const v = raw[i + 1]!;
    if (k[0] === ":") {
      if (regular || !REQUEST_PSEUDO.has(k) || k in h) return undefined;
    } else {
      regular = true;
      if (k !== k.toLowerCase() || CONNECTION_SPECIFIC.has(k) || (k === "te" && v !== "trailers")) return undefined;
      if (k in h) continue;
    }
    h[k] = v;
  }
  if (!h[":method"] || !h[":path"] || !h[":scheme"]) return undefined;
  return h;
}
