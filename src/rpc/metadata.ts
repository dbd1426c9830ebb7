/**
 * gRPC metadata: request headers, response headers and trailers. Keys are
 * case-insensitive (stored lower-case, as grpc-go's `metadata.Pairs` does) and
 * may carry several values. A key ending in `-bin` carries bytes (sent
 * base64-encoded); any other key carries printable ASCII text. Invalid keys
 * or values are refused when set, with the reason grpc-go gives when it
 * refuses them at send time.
 */

/** A value as given: text, or bytes for a `-bin` key. */
export type MetadataValue = string | Uint8Array;

/** Anything a Metadata can be built from: another Metadata, `[key, value]` pairs, or a record. */
export type MetadataInit =
  | Metadata
  | Iterable<readonly [string, MetadataValue]>
  | Record<string, MetadataValue | readonly MetadataValue[]>;

type BinKey = `${string}-bin`;

export class Metadata implements Iterable<[string, string | Buffer]> {
  private readonly map = new Map<string, (string | Buffer)[]>();

  constructor(init?: MetadataInit) {
    if (init !== undefined) this.merge(init);
  }

  /** The first value of `key`: a Buffer for a `-bin` key, else a string. */
  get(key: BinKey): Buffer | undefined;
  get(key: string): string | undefined;
  get(key: string): string | Buffer | undefined {
    return this.map.get(key.toLowerCase())?.[0];
  }

  /** Every value of `key`, in the order received or added. */
  getAll(key: BinKey): Buffer[];
  getAll(key: string): string[];
  getAll(key: string): (string | Buffer)[] {
    return [...(this.map.get(key.toLowerCase()) ?? [])];
  }

  has(key: string): boolean {
    return this.map.has(key.toLowerCase());
  }

  /** Replaces the values of `key`. */
  set(key: string, value: MetadataValue | readonly MetadataValue[]): this {
    const k = checkKey(key);
    const values = (isValueList(value) ? value : [value]).map((v) => checkValue(k, v));
    this.map.set(k, values);
    return this;
  }

  /** Adds a value to `key`. */
  append(key: string, value: MetadataValue): this {
    const k = checkKey(key);
    const v = checkValue(k, value);
    const list = this.map.get(k);
    if (list) list.push(v);
    else this.map.set(k, [v]);
    return this;
  }

  delete(key: string): boolean {
    return this.map.delete(key.toLowerCase());
  }

  /** Adds every value of `other` (grpc-go's `metadata.Join`); returns this. */
  merge(other: MetadataInit): this {
    if (other instanceof Metadata) {
      for (const [k, values] of other.map) {
        const list = this.map.get(k);
        if (list) list.push(...values);
        else this.map.set(k, [...values]);
      }
      return this;
    }
    const pairs: Iterable<readonly [string, MetadataValue | readonly MetadataValue[]]> =
      Symbol.iterator in other ? (other as Iterable<readonly [string, MetadataValue]>) : Object.entries(other);
    for (const [k, v] of pairs) {
      for (const one of isValueList(v) ? v : [v]) this.append(k, one);
    }
    return this;
  }

  clone(): Metadata {
    return new Metadata(this);
  }

  /** Distinct keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.map.size;
  }

  /** Every `[key, value]` pair; a key with several values appears once per value. */
  *[Symbol.iterator](): Iterator<[string, string | Buffer]> {
    for (const [k, values] of this.map) for (const v of values) yield [k, v];
  }

  /** Keys to values, bytes as unpadded base64 (as sent on the wire); for logs. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, values] of this.map) out[k] = values.map((v) => (typeof v === "string" ? v : v.toString("base64").replace(/=+$/, "")));
    return out;
  }

  /**
   * Adds a received value without validation (a peer's pseudo-headers and
   * non-ASCII text are kept as received, as grpc-go keeps them).
   * @internal
   */
  addRaw(key: string, value: string | Buffer): void {
    const list = this.map.get(key);
    if (list) list.push(value);
    else this.map.set(key, [value]);
  }
}

const isValueList = (v: unknown): v is readonly MetadataValue[] => Array.isArray(v);

/** A key lower-cased and checked as grpc-go's ValidatePair checks it (pseudo-headers pass). */
function checkKey(key: string): string {
  if (typeof key !== "string" || key === "") throw new TypeError("metadata: there is an empty key in the header");
  const k = key.toLowerCase();
  if (k[0] === ":") return k;
  if (!/^[0-9a-z_.-]+$/.test(k)) throw new TypeError(`metadata: header key ${JSON.stringify(k)} contains illegal characters not in [0-9a-z-_.]`);
  return k;
}

function checkValue(key: string, value: MetadataValue): string | Buffer {
  if (key.endsWith("-bin")) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`metadata: value of binary key ${JSON.stringify(key)} must be a Uint8Array`);
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (typeof value !== "string") throw new TypeError(`metadata: value of text key ${JSON.stringify(key)} must be a string (binary values need a key ending in -bin)`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new TypeError(`metadata: header key ${JSON.stringify(key)} contains value with non-printable ASCII characters`);
  }
  return value;
}
