import { Encoder, decode as cborDecode } from "cbor-x";

/**
 * Conversions between LOOP's wire encodings and TypeScript values, matching
 * what chainlink-common's Go code puts on the wire.
 */

/** `loop.BigInt`: a sign flag and the big-endian magnitude (zero is empty bytes). */
export interface BigIntWire {
  negative: boolean;
  value: Uint8Array;
}

export function toBigIntWire(v: bigint): BigIntWire {
  const negative = v < 0n;
  let mag = negative ? -v : v;
  const bytes: number[] = [];
  while (mag > 0n) {
    bytes.unshift(Number(mag & 0xffn));
    mag >>= 8n;
  }
  return { negative, value: Uint8Array.from(bytes) };
}

/** A missing message (Go's nil *big.Int) is `undefined`. */
export function fromBigIntWire(m: BigIntWire | undefined): bigint | undefined {
  if (!m) return undefined;
  let v = 0n;
  for (const b of m.value) v = (v << 8n) | BigInt(b);
  return m.negative ? -v : v;
}

/** A config digest: exactly 32 bytes. */
export function configDigest(bytes: Uint8Array, field = "configDigest"): Uint8Array {
  if (bytes.length !== 32) throw new RangeError(`${field}: a config digest is 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** A uint8 carried in a uint32 field (round, F, observer, signer). */
export function uint8(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${field}: ${v} does not fit in a uint8`);
  return v;
}

/** A uint16 carried in a uint32 field (config digest prefix). */
export function uint16(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${field}: ${v} does not fit in a uint16`);
  return v;
}

/** Go time.Duration values travel as int64 nanoseconds. */
export const Duration = {
  ns: (n: bigint | number) => BigInt(n),
  us: (n: number) => BigInt(Math.round(n * 1e3)),
  ms: (n: number) => BigInt(Math.round(n * 1e6)),
  seconds: (n: number) => BigInt(Math.round(n * 1e9)),
  minutes: (n: number) => BigInt(n) * 60_000_000_000n,
  hours: (n: number) => BigInt(n) * 3_600_000_000_000n,
  /** Milliseconds as a number; exact below 2^53 ns ≈ 104 days. */
  toMs: (ns: bigint) => Number(ns) / 1e6,
} as const;

/** The 16-byte external job id (a UUID's bytes). */
export function jobIdFromUuid(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`externalJobID: ${JSON.stringify(uuid)} is not a UUID`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function uuidFromJobId(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`externalJobID: a job id is 16 bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `codec.VersionedBytes` encodings. */
export const Encoding = { JSONv1: 0, JSONv2: 1, CBOR: 2, ValuesProto: 3 } as const;

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });

/** Deterministic CBOR (RFC 8949 core ordering: shorter keys first, then bytewise), like Go's CoreDetEncOptions. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Uint8Array || v instanceof Date || v === null || typeof v !== "object") return v;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => {
    const la = Buffer.byteLength(a);
    const lb = Buffer.byteLength(b);
    return la !== lb ? la - lb : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[k] = canonical(x);
  return out;
}

export function encodeVersionedBytes(value: unknown, version: number = Encoding.CBOR): { version: number; data: Uint8Array } {
  if (version !== Encoding.CBOR) throw new RangeError(`VersionedBytes: only CBOR (version 2) is supported, got ${version}`);
  return { version, data: Uint8Array.from(cbor.encode(canonical(value))) };
}

export function decodeVersionedBytes(vb: { version: number; data: Uint8Array } | undefined): unknown {
  if (!vb) return undefined;
  if (vb.version !== Encoding.CBOR) throw new RangeError(`VersionedBytes: only CBOR (version 2) is supported, got ${vb.version}`);
  return cborDecode(vb.data);
}
