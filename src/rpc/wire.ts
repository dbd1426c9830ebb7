import { Code } from "./status.js";

/**
 * gRPC-over-HTTP/2 wire details shared by the node:http2 client and server:
 * message framing, `grpc-timeout`, `grpc-message` escaping, and the mapping of
 * HTTP and RST_STREAM codes to gRPC codes, each as grpc-go does it.
 */

/** Length-prefixed message header: 1 flag byte and a 4-byte big-endian length. */
export const FRAME_HEADER = 5;

export function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + msg.byteLength);
  out[0] = 0;
  out.writeUInt32BE(msg.byteLength, 1);
  out.set(msg, FRAME_HEADER);
  return out;
}

/** Why a received byte stream is not acceptable, as the status grpc-go answers with. */
export class FrameError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits a byte stream into messages. Oversize messages are refused from the
 * header alone, before their body is buffered.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;

  constructor(private readonly maxLength: number) {}

  /** Feeds bytes; returns the complete messages they finish. Throws FrameError. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (this.buffered === 0 && this.need < 0) {
      // Fast path: a chunk holding exactly whole messages.
      let off = 0;
      while (chunk.length - off >= FRAME_HEADER) {
        const len = this.header(chunk, off);
        if (chunk.length - off - FRAME_HEADER < len) break;
        out.push(chunk.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len));
        off += FRAME_HEADER + len;
      }
      if (off === chunk.length) return out;
      chunk = chunk.subarray(off);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < FRAME_HEADER) return out;
        const head = this.take(FRAME_HEADER);
        this.need = this.header(head, 0);
      }
      if (this.buffered < this.need) return out;
      out.push(this.take(this.need));
      this.need = -1;
    }
  }

  /** True while part of a message is buffered. */
  get partial(): boolean {
    return this.buffered > 0 || this.need >= 0;
  }

  private header(buf: Buffer, off: number): number {
    const flag = buf[off];
    const len = buf.readUInt32BE(off + 1);
    if (flag === 1) {
      throw new FrameError(Code.INTERNAL, "grpc: compressed flag set with identity or empty encoding");
    }
    if (flag !== 0) throw new FrameError(Code.INTERNAL, `grpc: received unexpected payload format ${flag}`);
    if (len > this.maxLength) {
      throw new FrameError(
        Code.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${len} vs. ${this.maxLength})`,
      );
    }
    return len;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= n) {
      this.buffered -= n;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}

const UNITS: [string, number][] = [
  ["n", 1e-6],
  ["u", 1e-3],
  ["m", 1],
  ["S", 1e3],
  ["M", 6e4],
  ["H", 3.6e6],
];

/** A `grpc-timeout` value for `ms` milliseconds: at most 8 digits, rounded up like grpc-go. */
export function encodeTimeout(ms: number): string {
  if (ms <= 0) return "0n";
  for (const [unit, scale] of UNITS) {
    const n = Math.ceil(ms / scale);
    if (n < 1e8) return `${n}${unit}`;
  }
  return "99999999H";
}

/** Milliseconds of a `grpc-timeout` value, or undefined when malformed. */
export function decodeTimeout(v: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (!m) return undefined;
  const scale = UNITS.find(([u]) => u === m[2])![1];
  return Number(m[1]) * scale;
}

/** `grpc-message` escaping: bytes outside printable ASCII, and '%', as %XX of their UTF-8. */
export function encodeMessage(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    out += b < 0x20 || b > 0x7e || b === 0x25 ? "%" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b);
  }
  return out;
}

/** Reverses `encodeMessage`; a malformed escape is kept as it is, as grpc-go does. */
export function decodeMessage(s: string): string {
  if (!s.includes("%")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i], "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * A grpc-status value read as grpc-go's client reads it: base 10, an optional sign, within int32, and
 * then taken as a uint32 (`codes.Code(uint32(v))`). Anything else is an Error with grpc-go's text;
 * the call then ends UNKNOWN with it.
 */
export function parseStatusCode(v: string): number | Error {
  const why = !/^[+-]?[0-9]+$/.test(v) ? "invalid syntax" : Math.abs(Number(v)) > 2 ** 31 - (v.startsWith("-") ? 0 : 1) ? "value out of range" : undefined;
  if (why) return new Error(`transport: malformed grpc-status: strconv.ParseInt: parsing ${JSON.stringify(v)}: ${why}`);
  return Number(v) >>> 0;
}

/** The code for an HTTP response without grpc-status (grpc-go's HTTPStatusConvTab). */
export function codeOfHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/** The code for a stream reset without a status (grpc-go's http2ErrConvTab). */
export function codeOfRstCode(rst: number): Code {
  switch (rst) {
    case 0x3: // FLOW_CONTROL_ERROR
    case 0xb: // ENHANCE_YOUR_CALM
      return Code.RESOURCE_EXHAUSTED;
    case 0x7: // REFUSED_STREAM
      return Code.UNAVAILABLE;
    case 0x8: // CANCEL
      return Code.CANCELLED;
    case 0xc: // INADEQUATE_SECURITY
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}
