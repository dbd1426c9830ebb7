/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B). The code is canonical, so
 * only each symbol's code length is stored; codes and the decoding automaton
 * are derived from the lengths when the module loads.
 */

/** Code length in bits of bytes 0..255, then EOS (256). */
// prettier-ignore
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;
const SYMBOLS = 257;

/** Thrown for Huffman input that RFC 7541 §5.2 calls a decoding error. */
export class HuffmanError extends Error {}

const codes = new Uint32Array(SYMBOLS);
const lens = new Uint8Array(SYMBOLS);

/*
 * Decoding tables. FAST maps the next 8 input bits to (symbol << 4 | length)
 * when they start with a code of at most 8 bits (most header text), else 0.
 * Longer codes are read one bit at a time against the canonical ranges:
 * codes of length L are FIRST[L] .. FIRST[L]+COUNT[L]-1 and stand for
 * SORTED[OFFSET[L]..] in order.
 */
const MAX_LEN = 30;
const FAST = new Uint16Array(256);
const FIRST = new Int32Array(MAX_LEN + 2);
const COUNT = new Int32Array(MAX_LEN + 2);
const OFFSET = new Int32Array(MAX_LEN + 2);
const SORTED = new Uint16Array(SYMBOLS);

function build(): void {
  for (let s = 0; s < SYMBOLS; s++) COUNT[LENGTHS[s]]++;
  let code = 0;
  let off = 0;
  for (let len = 1; len <= MAX_LEN; len++) {
    code = (code + COUNT[len - 1]) << 1;
    FIRST[len] = code;
    OFFSET[len] = off;
    off += COUNT[len];
  }
  // Symbols in canonical order (by length, then value): a counting sort.
  const next = new Int32Array(MAX_LEN + 2);
  next.set(OFFSET);
  for (let s = 0; s < SYMBOLS; s++) {
    const len = LENGTHS[s];
    const k = next[len]++;
    SORTED[k] = s;
    lens[s] = len;
    codes[s] = FIRST[len] + k - OFFSET[len];
    if (len <= 8) {
      const lo = codes[s] << (8 - len);
      for (let j = lo, end = lo + (1 << (8 - len)); j < end; j++) FAST[j] = (s << 4) | len;
    }
  }
}

build();

// Decoded bytes are staged here, then read as one latin1 string. Allocated on
// first use so that loading the module allocates no Buffer.
let scratch: Buffer | undefined;

/** Decodes a Huffman-coded string to a byte string (one char per byte). Throws HuffmanError. */
export function huffmanDecode(buf: Uint8Array): string {
  // Shortest code is 5 bits: at most 8/5 output bytes per input byte.
  const max = Math.ceil((buf.length * 8) / 5);
  if (scratch === undefined || max > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(max, 1024));
  const out = scratch;
  // acc holds `bits` unread bits (at most 15) in its low end.
  let acc = 0;
  let bits = 0;
  let i = 0;
  let n = 0;
  const len = buf.length;
  for (;;) {
    if (bits < 8) {
      if (i === len) break;
      acc = ((acc << 8) | buf[i++]) & 0xffff;
      bits += 8;
    }
    const e = FAST[(acc >>> (bits - 8)) & 0xff];
    if (e !== 0) {
      out[n++] = e >>> 4;
      bits -= e & 0xf;
      continue;
    }
    // A code over 8 bits: extend one bit at a time against the canonical ranges.
    let code = (acc >>> (bits - 8)) & 0xff;
    bits -= 8;
    let clen = 8;
    for (;;) {
      if (bits === 0) {
        if (i === len) throw new HuffmanError("Huffman string has invalid padding (longer than 7 bits)");
        acc = buf[i++];
        bits = 8;
      }
      bits--;
      code = (code << 1) | ((acc >>> bits) & 1);
      clen++;
      const k = code - FIRST[clen];
      if (k >= 0 && k < COUNT[clen]) {
        const sym = SORTED[OFFSET[clen] + k];
        if (sym === EOS) throw new HuffmanError("Huffman string contains EOS");
        out[n++] = sym;
        break;
      }
    }
  }
  // Under 8 bits left: short codes, then padding that must be a prefix of EOS (all ones).
  while (bits > 0) {
    const rest = acc & ((1 << bits) - 1);
    const e = FAST[((rest << (8 - bits)) | (0xff >>> bits)) & 0xff];
    if (e !== 0 && (e & 0xf) <= bits) {
      out[n++] = e >>> 4;
      bits -= e & 0xf;
      continue;
    }
    if (rest !== (1 << bits) - 1) throw new HuffmanError("Huffman string has invalid padding (not all ones)");
    break;
  }
  return out.toString("latin1", 0, n);
}

/** Bytes the Huffman coding of a byte string takes. Throws TypeError on a char above 0xff. */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new TypeError(`header text is not a byte string (char ${c} at ${i})`);
    bits += lens[c];
  }
  return (bits + 7) >>> 3;
}

/** Writes the Huffman coding of a byte string at `off`; returns the offset after it. */
export function huffmanEncodeInto(s: string, out: Uint8Array, off: number): number {
  // acc keeps < 8 pending bits; codes over 24 bits go in two parts so acc stays within 31 bits.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    const code = codes[c];
    let len = lens[c];
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      bits += len - 16;
      while (bits >= 8) {
        bits -= 8;
        out[off++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      len = 16;
    }
    acc = (acc << len) | (code & ((1 << len) - 1));
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      out[off++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[off++] = (acc << (8 - bits)) | (0xff >>> bits);
  return off;
}

/** The Huffman coding of a byte string. */
export function huffmanEncode(s: string): Buffer {
  const out = Buffer.allocUnsafe(huffmanLength(s));
  huffmanEncodeInto(s, out, 0);
  return out;
}
