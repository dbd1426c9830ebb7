import { rfc3339Nano } from "./cbor.js";
import { Decimal, TypedValue } from "./values.js";

/**
 * VersionedBytes encodings 0 and 1: JSON as chainlink-common's Go side writes
 * it. Version 0 is Go's encoding/json (keys sorted, `<>&` and U+2028/9
 * escaped); version 1 is go-json-experiment's v2 with StringifyNumbers, where
 * every Go number kind is written as a JSON string ("42") while a *big.Int
 * (a bigint here), which marshals itself, stays a bare number. Bytes are
 * base64, Dates RFC 3339 text, null and undefined are null.
 *
 * Decoding returns what the JSON holds: objects, arrays, strings, booleans,
 * null, and numbers as numbers (bigints for integers beyond the safe range, so
 * nothing is lost). Version 1's quoted numbers stay strings, as they do when
 * Go decodes them into an `any`.
 */
export type JsonVersion = 0 | 1;

export class JsonEncodeError extends Error {
  override name = "JsonEncodeError";
}
export class JsonDecodeError extends Error {
  override name = "JsonDecodeError";
}

/** JSON.stringify's escape of a lone surrogate (not an escaped backslash followed by "ud…"). */
const LONE_SURROGATES = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function quote(s: string, version: JsonVersion, path: string): string {
  const q = JSON.stringify(s);
  if (version === 1) {
    // go-json-experiment refuses invalid UTF-8 (a lone surrogate has no UTF-8 form).
    if (LONE_SURROGATE.test(s)) throw new JsonEncodeError(`json: ${path}: invalid UTF-8 within string`);
    return q;
  }
  // encoding/json escapes for HTML and JavaScript, and writes invalid UTF-8 as U+FFFD.
  return q
    .replace(LONE_SURROGATES, "$1\\ufffd")
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Go's float64 text (which follows ECMAScript's Number#toString, except for -0). */
function goFloat(v: number, path: string): string {
  if (!Number.isFinite(v)) throw new JsonEncodeError(`json: ${path}: unsupported value: ${v === v ? (v > 0 ? "+Inf" : "-Inf") : "NaN"}`);
  return Object.is(v, -0) ? "-0" : String(v);
}

/** shopspring's decimal.String(): plain digits, no exponent. */
function decimalText(d: Decimal): string {
  const neg = d.coefficient < 0n;
  let digits = (neg ? -d.coefficient : d.coefficient).toString();
  if (d.exponent >= 0) digits = d.coefficient === 0n ? "0" : digits + "0".repeat(d.exponent);
  else {
    const point = digits.length + d.exponent;
    digits = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${"0".repeat(-point)}${digits}`;
  }
  return (neg ? "-" : "") + digits;
}

function write(v: unknown, version: JsonVersion, path: string): string {
  const num = (text: string) => (version === 1 ? `"${text}"` : text);
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "number":
      return num(goFloat(v, path));
    case "string":
      return quote(v, version, path);
    case "object":
      break;
    default:
      throw new JsonEncodeError(`json: ${path}: unsupported type: ${typeof v}`);
  }
  if (v instanceof Uint8Array) return `"${Buffer.from(v).toString("base64")}"`;
  if (v instanceof Date) return `"${rfc3339Nano(v, path)}"`;
  if (v instanceof TypedValue) return v.kind === "bigint" ? BigInt(v.value).toString() : num(typeof v.value === "bigint" ? v.value.toString() : goFloat(v.value, path));
  if (v instanceof Decimal) return `"${decimalText(v)}"`;
  if (Array.isArray(v)) return `[${v.map((x, i) => write(x, version, `${path}[${i}]`)).join(",")}]`;
  const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const keyed = entries.map(([k, x]) => {
    if (typeof k !== "string") throw new JsonEncodeError(`json: ${path}: unsupported map key type: ${typeof k}`);
    return { k, key: Buffer.from(k, "utf8"), x };
  });
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return `{${keyed.map(({ k, x }) => `${quote(k, version, path)}:${write(x, version, `${path}.${k}`)}`).join(",")}}`;
}

/** JSON of `value` as Go writes VersionedBytes version 0 or 1 (map keys sorted in both). */
export function encodeJson(value: unknown, version: JsonVersion): Uint8Array {
  return Uint8Array.from(Buffer.from(write(value, version, "value"), "utf8"));
}

/** How deep arrays and objects may nest, as in Go's encoding/json. */
const MAX_JSON_DEPTH = 10_000;

/** Parses JSON text; integers beyond 2^53 become bigints. Errors name the offset. */
export function decodeJson(data: Uint8Array): unknown {
  const text = Buffer.from(data).toString("utf8");
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonDecodeError(`json: ${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  // Iterative, so nesting is bounded by Go's limit rather than by the JS stack.
  type Open = { out: Record<string, unknown>; key: string } | { out: unknown[]; key?: undefined };
  const stack: Open[] = [];
  const key = (o: Open) => {
    ws();
    if (text[i] !== '"') fail("expected a string key");
    o.key = string();
    ws();
    if (text[i++] !== ":") fail("expected ':'");
  };
  const open = (o: Open) => {
    // encoding/json's scanner refuses more than 10000 open arrays and objects.
    if (stack.length >= MAX_JSON_DEPTH) fail("exceeded max depth");
    stack.push(o);
  };
  const scalar = (): unknown => {
    const c = text[i];
    if (c === '"') return string();
    for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(lit, i)) return (i += lit.length), v;
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 1100));
    if (!m) return fail(c === undefined ? "unexpected end of JSON input" : `invalid character ${JSON.stringify(c)}`);
    if (m[1] === undefined && m[2] === undefined) {
      i += m[0].length;
      const n = BigInt(m[0]);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    const f = Number(m[0]);
    if (!Number.isFinite(f)) fail(`cannot unmarshal number ${m[0]} into Go value of type float64`);
    i += m[0].length;
    return f;
  };
  const value = (): unknown => {
    for (;;) {
      ws();
      let v: unknown;
      if (text[i] === "{" || text[i] === "[") {
        const obj = text[i++] === "{";
        ws();
        const o: Open = obj ? { out: {}, key: "" } : { out: [] };
        open(o);
        if (text[i] !== (obj ? "}" : "]")) {
          if (obj) key(o);
          continue;
        }
        i++;
        stack.pop();
        v = o.out;
      } else v = scalar();
      // Hand the value to the containers it completes, innermost first.
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) return v;
        if (Array.isArray(top.out)) top.out.push(v);
        else Object.defineProperty(top.out, top.key!, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        const array = Array.isArray(top.out);
        if (text[i] === ",") {
          i++;
          if (!array) key(top);
          break;
        }
        if (text[i] !== (array ? "]" : "}")) fail(array ? "expected ',' or ']'" : "expected ',' or '}'");
        i++;
        stack.pop();
        v = top.out;
      }
    }
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail("invalid string");
    }
  };
  const out = value();
  ws();
  if (i !== text.length) fail("invalid character after top-level value");
  return out;
}
