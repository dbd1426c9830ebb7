/**
 * Every integer range check the LOOP layer makes, in one place. Values cross
 * into protobuf fields wider than their Go type (a uint8 in a uint32 field) or
 * into JavaScript numbers narrower than Go's int64; each check throws a
 * RangeError naming the field.
 */

export const UINT8_MAX = 255;
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

const inRange = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;

/** A uint8 carried in a uint32 field (round, F, observer, signer). */
export function uint8(v: number, field: string): number {
  if (!inRange(v, 0, UINT8_MAX)) throw new RangeError(`${field}: ${v} does not fit in a uint8`);
  return v;
}

/** A uint8 as chainlink-common's Go adapters check it, with Go's message. */
export function goUint8(v: number, field: string): number {
  if (!inRange(v, 0, UINT8_MAX)) throw new RangeError(`expected uint8 ${field} (max ${UINT8_MAX}) but got ${v}`);
  return v;
}

/** A uint16 carried in a uint32 field (config digest prefix). */
export function uint16(v: number, field: string): number {
  if (!inRange(v, 0, UINT16_MAX)) throw new RangeError(`${field}: ${v} does not fit in a uint16`);
  return v;
}

export function uint32(v: number, field: string): number {
  if (!inRange(v, 0, UINT32_MAX)) throw new RangeError(`${field}: ${v} does not fit in a uint32`);
  return v;
}

export function int32(v: number, field: string): number {
  if (!inRange(v, INT32_MIN, INT32_MAX)) throw new RangeError(`${field}: ${v} does not fit in an int32`);
  return v;
}

export function int64(v: bigint, field: string): bigint {
  if (typeof v !== "bigint" || v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${field}: ${v} does not fit in an int64`);
  return v;
}

/** An int64 that must come back as a JavaScript number without losing digits. */
export function safeInt(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${field}: ${v} is not a safe integer`);
  }
  return Number(v);
}
