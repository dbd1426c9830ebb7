import { decode as cborDecode } from "cbor-x";
import { encodeCbor } from "./cbor.js";
import { decodeValues, encodeValues, ValuesDecodeError } from "./values.js";

/**
 * `codec.VersionedBytes`: data tagged with its encoding. chainlink-common's Go
 * clients send CBOR (2) by default and ask for values.v1 (3) when the caller
 * wants a `values.Value`; a server answers in the encoding the request came in.
 */
export const Encoding = { JSONv1: 0, JSONv2: 1, CBOR: 2, ValuesProto: 3 } as const;
export type SupportedEncoding = typeof Encoding.CBOR | typeof Encoding.ValuesProto;

/**
 * An error Go's codec reports as chainlink-common's "invalid type" (an
 * InvalidArgumentError: gRPC INVALID_ARGUMENT). Other decoding errors are plain
 * Go errors (UNKNOWN).
 */
export class InvalidTypeError extends Error {
  override name = "InvalidTypeError";
}

/** Go prints a []byte with %v as `[1 2 3]`. */
const goBytes = (b: Uint8Array) => `[${[...b].join(" ")}]`;

export function encodeVersionedBytes(value: unknown, version: number = Encoding.CBOR): { version: number; data: Uint8Array } {
  switch (version) {
    case Encoding.CBOR:
      return { version, data: encodeCbor(value) };
    case Encoding.ValuesProto:
      return { version, data: encodeValues(value) };
    default:
      throw new RangeError(`invalid encoding: unsupported encoding version ${version} for data ${String(value)}`);
  }
}

/** Decodes with Go's error texts; `undefined` stays `undefined` only where Go tolerates nil (never here). */
export function decodeVersionedBytes(vb: { version: number; data: Uint8Array } | undefined): unknown {
  if (!vb) throw new Error("cannot decode nil versioned bytes");
  switch (vb.version) {
    case Encoding.CBOR:
      try {
        return cborDecode(vb.data);
      } catch (e) {
        throw new InvalidTypeError(`invalid type: cbor: ${(e as Error).message}`);
      }
    case Encoding.ValuesProto:
      try {
        return decodeValues(vb.data);
      } catch (e) {
        if (e instanceof ValuesDecodeError) throw new InvalidTypeError(e.message);
        throw e;
      }
    default:
      throw new Error(`unsupported encoding version ${vb.version} for versionedData ${goBytes(vb.data)}`);
  }
}

/** fxamacker/cbor's name for the CBOR major type that starts `data`. */
function cborTypeName(data: Uint8Array): string {
  return ["positive integer", "negative integer", "byte string", "UTF-8 text string", "array", "map", "tag", "primitives"][data[0] >> 5];
}

const isPlainMap = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);

/**
 * Decodes data that Go decodes into a `map[string]any` (what a Go relayer
 * without typed reads, and every ContractWriter, does with params): a map or
 * nil fits; anything else fails with Go's text.
 */
export function decodeVersionedMap(vb: { version: number; data: Uint8Array } | undefined): Record<string, unknown> | null {
  const v = decodeVersionedBytes(vb);
  if (v === null || v === undefined) return null;
  if (v instanceof Map) return Object.fromEntries(v);
  if (isPlainMap(v)) return v as Record<string, unknown>;
  const what = vb!.version === Encoding.CBOR ? `cbor: cannot unmarshal ${cborTypeName(vb!.data)}` : `cannot unwrap ${Array.isArray(v) ? "a list" : typeof v}`;
  throw new InvalidTypeError(`invalid type: ${what} into Go value of type map[string]interface {}`);
}
