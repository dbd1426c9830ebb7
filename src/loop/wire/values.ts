import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ValueSchema, type BigInt as BigIntPb, type Value } from "../../gen/loop/values/v1/values_pb.js";

/**
 * VersionedBytes encoding 3: a serialized `values.v1.Value`, the dynamically
 * typed tree chainlink-common's `values` package wraps Go data in.
 *
 * JavaScript has one integer type where Go has several, so the mapping is:
 * a safe-integer number is an int64, any other number a float64, a bigint a
 * BigInt (Go's *big.Int). `uint64(…)`, `int64(…)`, `float64(…)` and
 * `decimal(…)` pick the other kinds explicitly. Decoding returns numbers for
 * int64/uint64 values that are safe integers and bigints for the rest, so a
 * value read back compares equal to what CBOR gives for the same data.
 */

/** A value forced to one `values.v1` kind when encoded. */
export class TypedValue {
  constructor(
    readonly kind: "int64" | "uint64" | "float64" | "bigint",
    readonly value: bigint | number,
  ) {}
}

/** An arbitrary-precision decimal: coefficient × 10^exponent (Go's shopspring decimal). */
export class Decimal {
  constructor(
    readonly coefficient: bigint,
    readonly exponent: number,
  ) {}
  toString(): string {
    return `${this.coefficient}e${this.exponent}`;
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export const int64 = (v: bigint | number) => new TypedValue("int64", v);
export const uint64 = (v: bigint | number) => new TypedValue("uint64", v);
export const float64 = (v: number) => new TypedValue("float64", v);
export const bigInt = (v: bigint | number) => new TypedValue("bigint", v);
export const decimal = (coefficient: bigint, exponent: number) => new Decimal(coefficient, exponent);

function magnitudeBytes(m: bigint): Uint8Array {
  if (m === 0n) return new Uint8Array();
  const hex = m.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}

function bigIntPb(v: bigint): BigIntPb {
  const sign = v < 0n ? -1n : v > 0n ? 1n : 0n;
  return { $typeName: "values.v1.BigInt", absVal: magnitudeBytes(v < 0n ? -v : v), sign };
}

function fromBigIntPb(b: BigIntPb | undefined): bigint {
  if (!b) return 0n;
  let v = 0n;
  for (const x of b.absVal) v = (v << 8n) | BigInt(x);
  return b.sign < 0n ? -v : v;
}

function integer(v: bigint | number, kind: string, path: string): bigint {
  if (typeof v === "number" && !Number.isInteger(v)) throw new RangeError(`values: ${path}: ${v} is not an integer (${kind})`);
  return BigInt(v);
}

/** The `values.v1.Value` of a TS value (null and undefined are Go's nil: an empty Value). */
export function toValue(v: unknown, path = "value"): Value {
  return create(ValueSchema, { value: valueCase(v, path) } as never);
}

function valueCase(v: unknown, path: string): Value["value"] {
  if (v === null || v === undefined) return { case: undefined };
  switch (typeof v) {
    case "string":
      return { case: "stringValue", value: v };
    case "boolean":
      return { case: "boolValue", value: v };
    case "number":
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? { case: "int64Value", value: BigInt(v) } : { case: "float64Value", value: v };
    case "bigint":
      return { case: "bigintValue", value: bigIntPb(v) };
    case "object":
      break;
    default:
      throw new RangeError(`values: ${path}: cannot wrap a ${typeof v} into a value`);
  }
  if (v instanceof TypedValue) {
    if (v.kind === "float64") return { case: "float64Value", value: Number(v.value) };
    const n = integer(v.value, v.kind, path);
    if (v.kind === "bigint") return { case: "bigintValue", value: bigIntPb(n) };
    if (v.kind === "int64") {
      if (n < INT64_MIN || n > INT64_MAX) throw new RangeError(`values: ${path}: ${n} does not fit in an int64`);
      return { case: "int64Value", value: n };
    }
    if (n < 0n || n > UINT64_MAX) throw new RangeError(`values: ${path}: ${n} does not fit in a uint64`);
    return { case: "uint64Value", value: n };
  }
  if (v instanceof Decimal) {
    return { case: "decimalValue", value: { $typeName: "values.v1.Decimal", coefficient: bigIntPb(v.coefficient), exponent: v.exponent } };
  }
  if (v instanceof Uint8Array) return { case: "bytesValue", value: v };
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new RangeError(`values: ${path}: invalid Date`);
    return { case: "timeValue", value: timestampFromDate(v) };
  }
  if (Array.isArray(v)) {
    return { case: "listValue", value: { $typeName: "values.v1.List", fields: v.map((x, i) => toValue(x, `${path}[${i}]`)) } };
  }
  const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const fields: Record<string, Value> = {};
  for (const [k, x] of entries) {
    // Go's Wrap accepts only string map keys.
    if (typeof k !== "string") throw new RangeError(`values: ${path}: map key ${String(k)} is not a string`);
    fields[k] = toValue(x, `${path}.${k}`);
  }
  return { case: "mapValue", value: { $typeName: "values.v1.Map", fields } };
}

function smallest(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** The TS value of a `values.v1.Value` (an empty Value is null). */
export function fromValue(v: Value | undefined): unknown {
  const c = v?.value;
  switch (c?.case) {
    case undefined:
      return null;
    case "stringValue":
    case "boolValue":
    case "bytesValue":
    case "float64Value":
      return c.value;
    case "int64Value":
    case "uint64Value":
      return smallest(c.value);
    case "bigintValue":
      return fromBigIntPb(c.value);
    case "decimalValue":
      return new Decimal(fromBigIntPb(c.value.coefficient), c.value.exponent);
    case "timeValue":
      return timestampDate(c.value);
    case "listValue":
      return c.value.fields.map(fromValue);
    case "mapValue": {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(c.value.fields)) out[k] = fromValue(x);
      return out;
    }
  }
}

export function encodeValues(v: unknown): Uint8Array {
  return toBinary(ValueSchema, toValue(v));
}

/** Go's text for bytes that are not a Value (wrapped as chainlink-common's "invalid type"). */
export function decodeValues(data: Uint8Array): unknown {
  let v: Value;
  try {
    v = fromBinary(ValueSchema, data);
  } catch (e) {
    throw new ValuesDecodeError(`invalid type: proto: ${(e as Error).message}`);
  }
  return fromValue(v);
}

/** The kind (oneof case) of a serialized Value, or undefined when it is not one. */
export function valuesKind(data: Uint8Array): string | undefined {
  try {
    return fromBinary(ValueSchema, data).value.case;
  } catch {
    return undefined;
  }
}

export class ValuesDecodeError extends Error {
  override name = "ValuesDecodeError";
}
