/**
 * yamux framing (hashicorp/yamux spec.md): a 12-byte big-endian header —
 * version u8 (0), type u8, flags u16, stream id u32, length u32 — followed,
 * for Data frames only, by `length` payload bytes.
 */

export const HEADER_SIZE = 12;
export const PROTOCOL_VERSION = 0;

export const FrameType = { Data: 0, WindowUpdate: 1, Ping: 2, GoAway: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const Flag = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;

/** GoAway codes, carried in the length field. */
export const GoAwayCode = { Normal: 0, ProtocolError: 1, InternalError: 2 } as const;

export interface FrameHeader {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  /** Payload size (Data), window delta (WindowUpdate), opaque value (Ping), code (GoAway). */
  length: number;
}

export interface Frame {
  header: FrameHeader;
  /** Data frames only. */
  payload?: Buffer;
}

export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER_SIZE);
  b[0] = PROTOCOL_VERSION;
  b[1] = type;
  b.writeUInt16BE(flags, 2);
  b.writeUInt32BE(streamId >>> 0, 4);
  b.writeUInt32BE(length >>> 0, 8);
  return b;
}

export function decodeHeader(b: Buffer, offset = 0): FrameHeader {
  return {
    version: b[offset],
    type: b[offset + 1],
    flags: b.readUInt16BE(offset + 2),
    streamId: b.readUInt32BE(offset + 4),
    length: b.readUInt32BE(offset + 8),
  };
}

export class FrameError extends Error {
  override readonly name = "FrameError";
}

/**
 * Cuts a byte stream into frames. `push` returns every frame completed by
 * the chunk; a header with a bad version or type throws (the session then
 * ends, as Go's recvLoop does).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header?: FrameHeader;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_SIZE) break;
        const h = decodeHeader(this.take(HEADER_SIZE));
        if (h.version !== PROTOCOL_VERSION) throw new FrameError(`yamux: invalid protocol version: ${h.version}`);
        if (h.type > FrameType.GoAway) throw new FrameError(`yamux: invalid message type: ${h.type}`);
        if (h.type !== FrameType.Data || h.length === 0) {
          frames.push({ header: h, payload: h.type === FrameType.Data ? Buffer.alloc(0) : undefined });
          continue;
        }
        this.header = h;
      }
      if (this.buffered < this.header.length) break;
      frames.push({ header: this.header, payload: this.take(this.header.length) });
      this.header = undefined;
    }
    return frames;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}
