import { HuffmanError, huffmanDecode, huffmanEncodeInto, huffmanLength } from "./huffman.js";

/**
 * HPACK (RFC 7541) for the HTTP/2 server transport. Header names and values
 * are byte strings: one JS char per byte (latin1), as node:http2 exposes them.
 */

/** A header block that cannot be decoded; the connection answers COMPRESSION_ERROR. */
export class HpackError extends Error {}

/**
 * The block decoded fine but its header list exceeds maxHeaderListSize. The
 * whole block was still processed, so the dynamic table is in step with the
 * peer's and the connection may refuse just the stream.
 */
export class HeaderListTooLargeError extends HpackError {}

/** RFC 7541 Appendix A, index 1..61 (index 0 is unused). */
// prettier-ignore
const STATIC: readonly (readonly [string, string])[] = [
  ["", ""],
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];
const STATIC_COUNT = STATIC.length - 1;

/** RFC 7541 §4.1: an entry's size counts 32 bytes of overhead. */
const ENTRY_OVERHEAD = 32;
/** Integers above this are refused: no legitimate length or index comes near. */
const MAX_INT = 2 ** 31 - 1;

export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the most the peer may set the table to. Default 4096. */
  maxTableSize?: number;
  /** Most a header list may weigh (names + values + 32 per field, RFC 9113 §6.5.2). Default 16 MiB, as grpc-go's server. */
  maxHeaderListSize?: number;
}

export class HpackDecoder {
  private readonly maxTableSize: number;
  private readonly maxHeaderListSize: number;
  /** Current table limit, set by the peer's size updates (≤ maxTableSize). */
  private limit: number;
  private size = 0;
  // Dynamic table as a ring; entry 0 (the newest) sits at `head`.
  private names: string[] = new Array<string>(16);
  private values: string[] = new Array<string>(16);
  private head = 0;
  private count = 0;
  // Cursor into the block being decoded.
  private pos = 0;

  constructor(opts: HpackDecoderOptions = {}) {
    this.maxTableSize = opts.maxTableSize ?? 4096;
    this.maxHeaderListSize = opts.maxHeaderListSize ?? 16 << 20;
    this.limit = this.maxTableSize;
  }

  /** Entries in the dynamic table, newest first (for tests and diagnostics). */
  get dynamicTable(): [string, string][] {
    const out: [string, string][] = [];
    const mask = this.names.length - 1;
    for (let k = 0; k < this.count; k++) out.push([this.names[(this.head + k) & mask], this.values[(this.head + k) & mask]]);
    return out;
  }

  /** Sum of the dynamic table's entry sizes. */
  get dynamicTableSize(): number {
    return this.size;
  }

  /**
   * Decodes one complete header block (HEADERS plus any CONTINUATION payloads)
   * to a flat [name0, value0, name1, value1, ...]. Throws HpackError.
   */
  decode(block: Uint8Array): string[] {
    const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const end = buf.length;
    const out: string[] = [];
    let listSize = 0;
    let fields = 0;
    this.pos = 0;
    while (this.pos < end) {
      const b = buf[this.pos];
      let name: string;
      let value: string;
      if (b & 0x80) {
        const index = this.integer(buf, 7);
        if (index === 0) throw new HpackError("HPACK indexed field with index 0");
        if (index <= STATIC_COUNT) {
          name = STATIC[index][0];
          value = STATIC[index][1];
        } else {
          const slot = this.slot(index);
          name = this.names[slot];
          value = this.values[slot];
        }
      } else if (b & 0x40) {
        name = this.literalName(buf, 6);
        value = this.string(buf);
        this.insert(name, value);
      } else if (b & 0x20) {
        if (fields > 0) throw new HpackError("HPACK dynamic table size update after a header field");
        const size = this.integer(buf, 5);
        if (size > this.maxTableSize) {
          throw new HpackError(`HPACK dynamic table size update to ${size} exceeds the allowed ${this.maxTableSize}`);
        }
        this.limit = size;
        this.evict(0);
        continue;
      } else {
        // 0000 (without indexing) and 0001 (never indexed) decode alike.
        name = this.literalName(buf, 4);
        value = this.string(buf);
      }
      fields++;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize <= this.maxHeaderListSize) out.push(name, value);
    }
    if (listSize > this.maxHeaderListSize) {
      throw new HeaderListTooLargeError(
        `header list of ${fields} fields is ${listSize} bytes, above the limit of ${this.maxHeaderListSize}`,
      );
    }
    return out;
  }

  /** Reads an integer with an n-bit prefix (RFC 7541 §5.1). */
  private integer(buf: Buffer, n: number): number {
    const mask = (1 << n) - 1;
    let v = buf[this.pos++] & mask;
    if (v < mask) return v;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= buf.length) throw new HpackError("HPACK integer truncated at the end of the block");
      if (shift > 28) throw new HpackError("HPACK integer longer than 5 continuation bytes");
      const c = buf[this.pos++];
      v += (c & 0x7f) * 2 ** shift;
      if (v > MAX_INT) throw new HpackError("HPACK integer above 2^31-1");
      if ((c & 0x80) === 0) return v;
    }
  }

  private string(buf: Buffer): string {
    if (this.pos >= buf.length) throw new HpackError("HPACK string missing at the end of the block");
    const huffman = buf[this.pos] & 0x80;
    const len = this.integer(buf, 7);
    const start = this.pos;
    if (len > buf.length - start) {
      throw new HpackError(`HPACK string of ${len} bytes overruns the block (${buf.length - start} left)`);
    }
    this.pos += len;
    if (!huffman) return buf.toString("latin1", start, start + len);
    try {
      return huffmanDecode(buf.subarray(start, start + len));
    } catch (e) {
      if (e instanceof HuffmanError) throw new HpackError(`HPACK ${e.message}`);
      throw e;
    }
  }

  /** Name of a literal field: an index with an n-bit prefix, or 0 then a string. */
  private literalName(buf: Buffer, n: number): string {
    const index = this.integer(buf, n);
    if (index === 0) return this.string(buf);
    return index <= STATIC_COUNT ? STATIC[index][0] : this.names[this.slot(index)];
  }

  private slot(index: number): number {
    const k = index - STATIC_COUNT - 1;
    if (k >= this.count) {
      throw new HpackError(`HPACK index ${index} beyond the tables (${STATIC_COUNT} static, ${this.count} dynamic)`);
    }
    return (this.head + k) & (this.names.length - 1);
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
    this.evict(size);
    if (size > this.limit) return;
    if (this.count === this.names.length) this.grow();
    const mask = this.names.length - 1;
    this.head = (this.head - 1) & mask;
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.count++;
    this.size += size;
  }

  /** Drops the oldest entries until `room` more bytes fit under the limit. */
  private evict(room: number): void {
    const mask = this.names.length - 1;
    while (this.count > 0 && this.size + room > this.limit) {
      const slot = (this.head + this.count - 1) & mask;
      this.size -= this.names[slot].length + this.values[slot].length + ENTRY_OVERHEAD;
      this.names[slot] = this.values[slot] = "";
      this.count--;
    }
  }

  private grow(): void {
    const cap = this.names.length;
    const names = new Array<string>(cap * 2);
    const values = new Array<string>(cap * 2);
    for (let k = 0; k < this.count; k++) {
      names[k] = this.names[(this.head + k) & (cap - 1)];
      values[k] = this.values[(this.head + k) & (cap - 1)];
    }
    this.names = names;
    this.values = values;
    this.head = 0;
  }
}

/**
 * What the encoder keeps per header name: the bytes that start a literal
 * field with this name, and the whole encoding of its first few short values.
 * Encoding is stateless, so one cache serves every connection. Bounded by
 * count, never cleared: a server sends few distinct names, and values that
 * vary (grpc-message) stop being cached once a name has its share.
 */
interface NameCode {
  prefix: Uint8Array;
  values: Map<string, Uint8Array>;
}
const NAMES = new Map<string, NameCode>();
const MAX_NAMES = 256;
const MAX_VALUES_PER_NAME = 16;
const MAX_CACHED_VALUE = 32;

/** Built once per distinct name, so a scan of the static table is cheap enough and costs nothing at load. */
function nameCode(name: string): NameCode {
  let index = 0;
  for (let i = 1; i <= STATIC_COUNT && index === 0; i++) if (STATIC[i][0] === name) index = i;
  const tmp = Buffer.allocUnsafe(name.length + 8);
  let len: number;
  if (index !== 0) {
    len = writeInteger(tmp, 0, 0x00, 4, index);
  } else {
    tmp[0] = 0x00;
    len = writeString(tmp, 1, name);
  }
  const entry: NameCode = { prefix: new Uint8Array(tmp.subarray(0, len)), values: new Map() };
  // Exact static pairs are one byte; the first index of a pair wins.
  for (let i = STATIC_COUNT; i >= 1; i--) {
    if (STATIC[i][0] === name) entry.values.set(STATIC[i][1], Uint8Array.of(0x80 | i));
  }
  return entry;
}

/**
 * Encodes response header blocks. Every field is a static-table hit or a literal
 * WITHOUT indexing, so the encoder keeps no dynamic table and is correct
 * whatever SETTINGS_HEADER_TABLE_SIZE the peer announces.
 */
export class HpackEncoder {
  /**
   * Encodes a flat [name0, value0, name1, value1, ...] (the shape decode returns).
   * Names and values are byte strings; a char above 0xff throws TypeError.
   */
  encode(fields: readonly string[]): Buffer {
    if (fields.length % 2 !== 0) throw new TypeError("HPACK encode takes [name, value] pairs: odd length");
    // Per string: its bytes, a length of up to 6 bytes, and a representation byte.
    let bound = 0;
    for (let i = 0; i < fields.length; i++) bound += fields[i].length + 8;
    const out = Buffer.allocUnsafe(bound);
    let off = 0;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      const value = fields[i + 1];
      let code = NAMES.get(name);
      if (code === undefined) {
        code = nameCode(name);
        if (NAMES.size < MAX_NAMES) NAMES.set(name, code);
      }
      const hit = code.values.get(value);
      if (hit !== undefined) {
        out.set(hit, off);
        off += hit.length;
        continue;
      }
      const start = off;
      out.set(code.prefix, off);
      off = writeString(out, off + code.prefix.length, value);
      if (value.length <= MAX_CACHED_VALUE && code.values.size < MAX_VALUES_PER_NAME) {
        code.values.set(value, new Uint8Array(out.subarray(start, off)));
      }
    }
    return out.subarray(0, off);
  }
}

function writeInteger(out: Buffer, off: number, flags: number, n: number, v: number): number {
  const mask = (1 << n) - 1;
  if (v < mask) {
    out[off++] = flags | v;
    return off;
  }
  out[off++] = flags | mask;
  v -= mask;
  while (v >= 0x80) {
    out[off++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[off++] = v;
  return off;
}

/** A string literal, Huffman-coded only when that is shorter. */
function writeString(out: Buffer, off: number, s: string): number {
  const huff = huffmanLength(s);
  if (huff < s.length) {
    off = writeInteger(out, off, 0x80, 7, huff);
    return huffmanEncodeInto(s, out, off);
  }
  off = writeInteger(out, off, 0x00, 7, s.length);
  return off + out.write(s, off, "latin1");
}
