import { decode as cborDecode } from "cbor-x";
import { encodeCbor } from "./cbor.js";
import { decodeJson, encodeJson, JsonDecodeError, JsonEncodeError } from "./json.js";
import { decodeValues, encodeValues, ValuesDecodeError, valuesKind } from "./values.js";

/**
 * `codec.VersionedBytes`: data tagged with its encoding. chainlink-common
 * v0.11.1 knows four: JSON as encoding/json writes it (0), JSON as
 * go-json-experiment writes it with numbers quoted (1), deterministic CBOR (2,
 * what Go's clients send by default) and values.v1 (3, what a caller wanting a
 * `values.Value` asks for). A server answers in the encoding the request came in.
 */
export const Encoding = { JSONv1: 0, JSONv2: 1, CBOR: 2, ValuesProto: 3 } as const;
export type SupportedEncoding = (typeof Encoding)[keyof typeof Encoding];

export const isSupportedEncoding = (v: number): v is SupportedEncoding => v === 0 || v === 1 || v === 2 || v === 3;

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

/** Go's %v of the data Go would hold for `v` (maps with sorted keys, nil as `<nil>`). */
export function goValueText(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (v instanceof Uint8Array) return goBytes(v);
  if (Array.isArray(v)) return `[${v.map(goValueText).join(" ")}]`;
  if (v instanceof Date || typeof v !== "object") return String(v);
  const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return `map[${entries
    .map(([k, x]) => [String(k), goValueText(x)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, x]) => `${k}:${x}`)
    .join(" ")}]`;
}

/** Go's text when asked to encode in a version it does not know (ErrInvalidEncoding: INVALID_ARGUMENT). */
export class UnsupportedEncodingError extends Error {
  override name = "UnsupportedEncodingError";
  constructor(version: number, dataText: string) {
    super(`invalid encoding: unsupported encoding version ${version} for data ${dataText}`);
  }
}

export function encodeVersionedBytes(value: unknown, version: number = Encoding.CBOR): { version: number; data: Uint8Array } {
  switch (version) {
    case Encoding.JSONv1:
    case Encoding.JSONv2:
      try {
        return { version, data: encodeJson(value, version) };
      } catch (e) {
        if (e instanceof JsonEncodeError) throw new InvalidTypeError(`invalid type: ${e.message}`);
        throw e;
      }
    case Encoding.CBOR:
      return { version, data: encodeCbor(value) };
    case Encoding.ValuesProto:
      return { version, data: encodeValues(value) };
    default:
      throw new UnsupportedEncodingError(version, goValueText(value));
  }
}

/** Decodes with Go's error texts; `undefined` stays `undefined` only where Go tolerates nil (never here). */
export function decodeVersionedBytes(vb: { version: number; data: Uint8Array } | undefined): unknown {
  if (!vb) throw new Error("cannot decode nil versioned bytes");
  switch (vb.version) {
    case Encoding.JSONv1:
    case Encoding.JSONv2:
      try {
        return decodeJson(vb.data);
      } catch (e) {
        if (e instanceof JsonDecodeError) throw new InvalidTypeError(`invalid type: ${e.message}`);
        throw e;
      }
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

/** The JSON kind of a decoded value, in encoding/json's words. */
const jsonKind = (v: unknown) => (Array.isArray(v) ? "array" : typeof v === "boolean" ? "bool" : typeof v === "string" ? "string" : "number");

/** Each decoder's own text for data that is not a map (Go's decode target). */
function notAMap(vb: { version: number; data: Uint8Array }, v: unknown): string {
  const target = "map[string]interface {}";
  switch (vb.version) {
    case Encoding.JSONv1:
      return `json: cannot unmarshal ${jsonKind(v)} into Go value of type ${target}`;
    case Encoding.JSONv2:
      return `json: cannot unmarshal JSON ${jsonKind(v) === "bool" ? "boolean" : jsonKind(v)} into Go ${target}`;
    case Encoding.CBOR:
      return `cbor: cannot unmarshal ${cborTypeName(vb.data)} into Go value of type ${target}`;
    default: {
      // The values package words it per kind: integers and lists name the type, the rest "value of type:".
      const kind = valuesKind(vb.data);
      const named = kind === "int64Value" || kind === "uint64Value" || kind === "listValue";
      return `cannot unwrap to ${named ? "type" : "value of type:"} *${target}`;
    }
  }
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
  throw new InvalidTypeError(`invalid type: ${notAMap(vb!, v)}`);
}
