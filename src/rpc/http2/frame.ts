/**
 * HTTP/2 frames (RFC 9113 §4, §6): the numbers, a reader that cuts a byte
 * stream into frames, and writers for the frames a server sends.
 */

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** RFC 9113 §7 error codes. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The client connection preface (RFC 9113 §3.4). */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FRAME_HEADER_LENGTH = 9;
/** The smallest SETTINGS_MAX_FRAME_SIZE, and every peer's until it says otherwise. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_ALLOWED_FRAME_SIZE = 16_777_215;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A connection error: GOAWAY with `code`, then the connection closes. */
export class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}

/**
 * Cuts incoming bytes into frames. A frame that lies inside one chunk is a view
 * of it (no copy); only a frame split across chunks is joined, once.
 */
export class FrameReader {
  /** Bytes not handed over yet: the start of a frame, or what a stop left. */
  private parts: Buffer[] = [];
  private buffered = 0;

  constructor(
    /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a FRAME_SIZE_ERROR. */
    private readonly maxFrameSize: number,
  ) {}

  /**
   * Hands each frame `chunk` completes to `onFrame`, in order, until it returns
   * false (the frames left wait for the next push); throws ConnectionError at an
   * oversized frame (those before it are handed over first).
   */
  push(chunk: Buffer, onFrame: (f: Frame) => boolean): void {
    let buf = chunk;
    let off = 0;
    if (this.buffered >= FRAME_HEADER_LENGTH && this.buffered >= FRAME_HEADER_LENGTH + this.frameLength(this.parts[0]!, 0)) {
      // Whole frames a stop left: read on through them and the chunk as one.
      buf = Buffer.concat([...this.parts, chunk]);
      this.parts = [];
      this.buffered = 0;
    } else if (this.buffered) {
      if (this.buffered < FRAME_HEADER_LENGTH) {
        // The header itself is split: join its bytes (fewer than 9 copied).
        off = Math.min(FRAME_HEADER_LENGTH - this.buffered, chunk.length);
        this.parts = [Buffer.concat([this.parts[0]!, chunk.subarray(0, off)])];
        this.buffered += off;
        if (this.buffered < FRAME_HEADER_LENGTH) return;
      }
      const total = FRAME_HEADER_LENGTH + this.frameLength(this.parts[0]!, 0);
      const need = total - this.buffered;
      if (chunk.length - off < need) {
        this.parts.push(chunk.subarray(off));
        this.buffered += chunk.length - off;
        return;
      }
      this.parts.push(chunk.subarray(off, off + need));
      const joined = Buffer.concat(this.parts, total);
      off += need;
      this.parts = [];
      this.buffered = 0;
      if (!onFrame(frameAt(joined, 0, total))) return this.keep(chunk, off);
    }
    while (buf.length - off >= FRAME_HEADER_LENGTH) {
      const end = off + FRAME_HEADER_LENGTH + this.frameLength(buf, off);
      if (end > buf.length) break;
      const f = frameAt(buf, off, end);
      off = end;
      if (!onFrame(f)) break;
    }
    this.keep(buf, off);
  }

  private frameLength(buf: Buffer, at: number): number {
    const len = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    if (len > this.maxFrameSize) {
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${len} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`);
    }
    return len;
  }

  private keep(buf: Buffer, off: number): void {
    if (off >= buf.length) return;
    const rest = off === 0 ? buf : buf.subarray(off);
    this.parts = [rest];
    this.buffered = rest.length;
  }
}

function frameAt(buf: Buffer, at: number, end: number): Frame {
  return {
    type: buf[at + 3]!,
    flags: buf[at + 4]!,
    streamId: buf.readUInt32BE(at + 5) & 0x7fffffff,
    payload: buf.subarray(at + FRAME_HEADER_LENGTH, end),
  };
}

/** A frame's 9-byte header followed by its payload, as one buffer. */
export function frameBytes(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const len = payload?.length ?? 0;
  const b = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + len);
  writeFrameHeader(b, 0, len, type, flags, streamId);
  if (len) b.set(payload!, FRAME_HEADER_LENGTH);
  return b;
}

export function writeFrameHeader(b: Buffer, at: number, len: number, type: number, flags: number, streamId: number): void {
  b[at] = (len >>> 16) & 0xff;
  b[at + 1] = (len >>> 8) & 0xff;
  b[at + 2] = len & 0xff;
  b[at + 3] = type;
  b[at + 4] = flags;
  b.writeUInt32BE(streamId >>> 0, at + 5);
}

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const p = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v >>> 0, 6 * i + 2);
  });
  return frameBytes(FrameType.SETTINGS, 0, 0, p);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const b = frameBytes(FrameType.WINDOW_UPDATE, 0, streamId, Buffer.alloc(4));
  b.writeUInt32BE(increment, FRAME_HEADER_LENGTH);
  return b;
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const b = frameBytes(FrameType.RST_STREAM, 0, streamId, Buffer.alloc(4));
  b.writeUInt32BE(code, FRAME_HEADER_LENGTH);
  return b;
}

export function goawayFrame(lastStreamId: number, code: number, debug = ""): Buffer {
  const d = Buffer.from(debug, "utf8");
  const p = Buffer.allocUnsafe(8 + d.length);
  p.writeUInt32BE(lastStreamId, 0);
  p.writeUInt32BE(code, 4);
  d.copy(p, 8);
  return frameBytes(FrameType.GOAWAY, 0, 0, p);
}

/**
 * A header block as HEADERS plus as many CONTINUATION frames as `maxFrameSize`
 * needs; END_STREAM (if asked) rides on the HEADERS frame, END_HEADERS on the last.
 */
export function headerFrames(streamId: number, block: Buffer, endStream: boolean, maxFrameSize: number): Buffer {
  const n = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = Buffer.allocUnsafe(block.length + n * FRAME_HEADER_LENGTH);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const part = block.subarray(i * maxFrameSize, (i + 1) * maxFrameSize);
    let flags = i === n - 1 ? Flag.END_HEADERS : 0;
    if (i === 0 && endStream) flags |= Flag.END_STREAM;
    writeFrameHeader(out, at, part.length, i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId);
    out.set(part, at + FRAME_HEADER_LENGTH);
    at += FRAME_HEADER_LENGTH + part.length;
  }
  return out;
}

/** The payload of a HEADERS or DATA frame without its padding (and priority fields, for HEADERS). */
export function unpadded(f: Frame): Buffer {
  let p = f.payload;
  if (f.flags & Flag.PADDED) {
    if (p.length < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "padded frame without a pad length");
    const pad = p[0]!;
    if (pad >= p.length) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `padding of ${pad} bytes in a ${p.length}-byte payload`);
    p = p.subarray(1, p.length - pad);
  }
  if (f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY) {
    if (p.length < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS with the PRIORITY flag shorter than 5 bytes");
    p = p.subarray(5);
  }
  return p;
}
