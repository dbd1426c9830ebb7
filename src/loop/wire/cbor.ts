/**
 * Deterministic CBOR as chainlink-common writes VersionedBytes version 2
 * (fxamacker/cbor's core deterministic options with RFC 3339 times):
 * shortest integer heads; floats in the shortest of float16/32/64 that keeps
 * the value (NaN as f97e00, infinities as float16); bigints as integers when
 * they fit in 64 bits, else as tag 2/3 bignums; map keys ordered by their
 * encoded bytes; Dates as RFC 3339 text. Numbers that are safe integers are
 * CBOR integers (JavaScript cannot tell 1 from 1.0); null and undefined are
 * CBOR null, since Go has no undefined.
 */
class CborWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(): Uint8Array {
    return Uint8Array.from(Buffer.concat(this.chunks, this.size));
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  /** A major type with its argument in the shortest form. */
  head(major: number, arg: bigint | number): void {
    const n = BigInt(arg);
    const m = major << 5;
    if (n < 24n) this.push(Uint8Array.of(m | Number(n)));
    else if (n < 0x100n) this.push(Uint8Array.of(m | 24, Number(n)));
    else if (n < 0x10000n) this.push(Uint8Array.of(m | 25, Number(n) >> 8, Number(n) & 0xff));
    else if (n < 0x100000000n) {
      const b = new Uint8Array(5);
      b[0] = m | 26;
      new DataView(b.buffer).setUint32(1, Number(n));
      this.push(b);
    } else {
      const b = new Uint8Array(9);
      b[0] = m | 27;
      new DataView(b.buffer).setBigUint64(1, n);
      this.push(b);
    }
  }

  raw(b: Uint8Array): void {
    this.push(b);
  }

  value(v: unknown, path: string): void {
    if (v === null || v === undefined) return this.raw(Uint8Array.of(0xf6));
    switch (typeof v) {
      case "boolean":
        return this.raw(Uint8Array.of(v ? 0xf5 : 0xf4));
      case "bigint":
        return this.integer(v);
      case "number":
        return Number.isSafeInteger(v) && !Object.is(v, -0) ? this.integer(BigInt(v)) : this.raw(shortestFloat(v));
      case "string": {
        const b = Buffer.from(v, "utf8");
        this.head(3, b.length);
        return this.raw(b);
      }
      case "object":
        break;
      default:
        throw new RangeError(`VersionedBytes: ${path}: cannot encode a ${typeof v} as CBOR`);
    }
    if (v instanceof Uint8Array) {
      this.head(2, v.length);
      return this.raw(v);
    }
    if (v instanceof Date) return this.value(rfc3339Nano(v, path), path);
    if (Array.isArray(v)) {
      this.head(4, v.length);
      v.forEach((x, i) => this.value(x, `${path}[${i}]`));
      return;
    }
    const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
    const encoded = entries.map(([k, x]) => {
      const w = new CborWriter();
      w.value(k, path);
      return { key: w.bytes(), k, x };
    });
    encoded.sort((a, b) => Buffer.compare(a.key, b.key));
    this.head(5, encoded.length);
    for (const { key, k, x } of encoded) {
      this.raw(key);
      this.value(x, `${path}.${String(k)}`);
    }
  }

  private integer(n: bigint): void {
    if (n >= 0n) {
      if (n <= 0xffffffffffffffffn) return this.head(0, n);
      return this.bignum(2, n);
    }
    const m = -1n - n;
    if (m <= 0xffffffffffffffffn) return this.head(1, m);
    this.bignum(3, m);
  }

  private bignum(tag: 2 | 3, magnitude: bigint): void {
    const hex = magnitude.toString(16);
    const b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
    this.head(6, tag);
    this.head(2, b.length);
    this.raw(b);
  }
}

/** The shortest IEEE 754 encoding (float16, 32 or 64) that holds `v` exactly. */
function shortestFloat(v: number): Uint8Array {
  if (Number.isNaN(v)) return Uint8Array.of(0xf9, 0x7e, 0x00);
  const f32 = new DataView(new ArrayBuffer(4));
  f32.setFloat32(0, v);
  if (f32.getFloat32(0) !== v && !Number.isNaN(f32.getFloat32(0))) {
    const b = new Uint8Array(9);
    b[0] = 0xfb;
    new DataView(b.buffer).setFloat64(1, v);
    return b;
  }
  const bits = f32.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  let half: number | undefined;
  if (exp === 0xff) half = sign | 0x7c00; // infinities (NaN handled above)
  else if (exp === 0 && mant === 0) half = sign; // zeros
  else if (exp !== 0) {
    const e = exp - 127;
    if (e >= -14 && e <= 15 && (mant & 0x1fff) === 0) half = sign | ((e + 15) << 10) | (mant >>> 13);
    else if (e >= -24 && e < -14) {
      const sig = 0x800000 | mant;
      const shift = -(e + 1);
      if ((sig & ((1 << shift) - 1)) === 0) half = sign | (sig >>> shift);
    }
  }
  if (half !== undefined) return Uint8Array.of(0xf9, half >>> 8, half & 0xff);
  const b = new Uint8Array(5);
  b[0] = 0xfa;
  new DataView(b.buffer).setUint32(1, bits);
  return b;
}

/** Go's time.RFC3339Nano text of a Date (UTC, fraction without trailing zeros). */
export function rfc3339Nano(d: Date, path: string): string {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new RangeError(`VersionedBytes: ${path}: invalid Date`);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`VersionedBytes: ${path}: year ${year} is outside [0,9999]`);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ""}Z`;
}

/** Deterministic CBOR of `value`, byte for byte what chainlink-common's Go encoder writes for the same data. */
export function encodeCbor(value: unknown): Uint8Array {
  const w = new CborWriter();
  w.value(value, "value");
  return w.bytes();
}
