import { decodeJson, encodeJson, JsonDecodeError, JsonEncodeError } from "./json.js";
import { decimal, uint64 } from "./values.js";

const text = (v: unknown, version: 0 | 1) => Buffer.from(encodeJson(v, version)).toString();

describe("VersionedBytes JSON (encodings 0 and 1)", () => {
  test("version 0 writes as encoding/json: sorted keys, HTML-safe strings, bare numbers", () => {
    expect(text({ b: 1, a: [true, null, 1.5, 1e21, 1e-7, -0], s: "<&>\u2028" }, 0)).toBe('{"a":[true,null,1.5,1e+21,1e-7,-0],"b":1,"s":"\\u003c\\u0026\\u003e\\u2028"}');
    expect(text({ big: 1n << 70n, b: Uint8Array.of(1, 2, 3), t: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)) }, 0)).toBe(
      '{"b":"AQID","big":1180591620717411303424,"t":"2024-01-02T03:04:05.12Z"}',
    );
    expect(text("\ud800", 0)).toBe('"\\ufffd"');
    expect(text("\\ud800", 0)).toBe('"\\\\ud800"');
  });

  test("version 1 quotes every number except big integers, and leaves HTML characters alone", () => {
    expect(text({ n: 42, f: 1.5, big: 1n << 70n, u: uint64(7), s: "<&>" }, 1)).toBe('{"big":1180591620717411303424,"f":"1.5","n":"42","s":"<&>","u":"7"}');
    expect(text(decimal(-12345n, -2), 1)).toBe('"-123.45"');
    expect(() => encodeJson("\udc00", 1)).toThrow(JsonEncodeError);
  });

  test("what Go cannot write is refused", () => {
    expect(() => encodeJson({ x: NaN }, 0)).toThrow("json: value.x: unsupported value: NaN");
    expect(() => encodeJson(new Map([[1, "a"]]), 0)).toThrow(JsonEncodeError);
    expect(() => encodeJson(() => 1, 0)).toThrow(JsonEncodeError);
  });

  test("decoding keeps every integer exactly and quoted numbers as strings", () => {
    const data = Buffer.from('{"a":9007199254740993,"b":-3,"c":1.5e3,"d":"42","e":[{}, [], null, false],"__proto__":1}');
    const v = decodeJson(data) as Record<string, unknown>;
    expect(v).toEqual({ a: 9007199254740993n, b: -3, c: 1500, d: "42", e: [{}, [], null, false], ["__proto__"]: 1 });
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(decodeJson(encodeJson({ s: '\u0001"\\é😀' }, 0))).toEqual({ s: '\u0001"\\é😀' });
  });

  test("nesting: 10000 open arrays and objects decode, as in Go's encoding/json; one more is refused with its text", () => {
    const nest = (d: number, open: string, inner: string, close: string) => Buffer.from(open.repeat(d) + inner + close.repeat(d));
    let v = decodeJson(nest(10_000, "[", "", "]"));
    for (let d = 1; d < 10_000; d++) v = (v as unknown[])[0];
    expect(v).toEqual([]);
    expect(() => decodeJson(nest(5_000, '{"a":', "1", "}"))).not.toThrow();
    expect(() => decodeJson(nest(10_001, "[", "", "]"))).toThrow("json: exceeded max depth at offset 10001");
  });

  test("a number beyond float64 is refused as Go refuses it, not read as Infinity", () => {
    expect(() => decodeJson(Buffer.from('{"x":1e400}'))).toThrow("json: cannot unmarshal number 1e400 into Go value of type float64 at offset 5");
    expect(decodeJson(Buffer.from("-1.5e308"))).toBe(-1.5e308);
  });

  test("malformed JSON fails with the offset, never hangs", () => {
    for (const bad of ["", "{", '{"a"}', "[1,]", '"abc', "tru", "1 2", '{"a":1,}', "[1", '{"a":1', "[[]", '{"a":[}', "]", "{}}"]) {
      expect(() => decodeJson(Buffer.from(bad))).toThrow(JsonDecodeError);
    }
  });
});
