import fc from "fast-check";
import { HuffmanError, huffmanDecode, huffmanEncode, huffmanLength } from "./huffman.js";

const hex = (s: string) => Buffer.from(s, "hex");

describe("HPACK Huffman code", () => {
  test("RFC 7541 C.4 and C.6 strings encode and decode", () => {
    const vectors: [string, string][] = [
      ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"],
      ["no-cache", "a8eb10649cbf"],
      ["custom-key", "25a849e95ba97d7f"],
      ["custom-value", "25a849e95bb8e8b4bf"],
      ["302", "6402"],
      ["private", "aec3771a4b"],
      ["Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"],
      ["https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"],
      ["307", "640eff"],
      ["gzip", "9bd9ab"],
      [
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
      ],
    ];
    for (const [text, code] of vectors) {
      expect(huffmanEncode(text).toString("hex")).toBe(code);
      expect(huffmanLength(text)).toBe(code.length / 2);
      expect(huffmanDecode(hex(code))).toBe(text);
    }
  });

  // Go's golang.org/x/net/http2/hpack AppendHuffmanString of bytes 0x00..0xff in order:
  // one string that exercises every code, from a second implementation.
  const ALL_BYTES_BY_GO =
    "ffc7fffd8fffffe2fffffe3fffffe4fffffe5fffffe6fffffe7fffffe8ffffeafffffff3fffffa7fffffabffffffdfffffebfffffecfffffedfffffeefffffefffffff0ffffff1ffffff2fffffffbfffffcffffffd3fffffd7fffffdbfffffdffffffe3fffffe7fffffebfffffed4fe3f9ffaffcabf1febfafefe7fdfd2cbb00089969b71d79fb9f7fff20ffbff3ff50ddbd7f061c58f265cd9f469d5af66dddbf871e5f9cff7ff7fffc3ff9ffe45fff4719242cb34e6e9d68a6a3d7dac426defe3cfaf7fffbfe7ffbffdffffffcfffe6ffff4bfff9ffffa3fffd3ffff53fffd5ffffb3fffeb7fffdaffffb7ffff73fffeeffffdeffffebffffbfffffd9ffffdbfffebffffe0ffffeeffffc3ffff8bffff1ffffe4fffee7fffb1ffff97fffd9ffffcdffff9fffffbffffdafffeeffff4ffffb7fffee7fffe8ffffd3fffdeffffd5fffeeffffbdffffe1fffdfffff7fffff5ffffecffff07fff87fffe0ffff17fffedffff87ffff77fffeffffeaffff8bfffe3ffff93ffff87fffcbffff37ffff1fffff83ffffe1fffebfffe3ffff3fffff2ffffa3ffffd9fffff17ffffc7fffff27ffffdefffffbffffff2fffff8fffffb7fff97fff8fffffe6fffffc1fffff87ffffe7fffffc5ffffe5fffe4ffff2fffffd1fffff4ffffffefffffe3fffffc9fffff97fffb3ffffcffffb7fffcdffff4ffff9ffffd1ffffcffffeaffffafffffddffffeffffff4fffff5fffffabffffa7ffffd7fffff9bffffecfffffb7fffff3fffffe8fffffd3fffffabfffff5fffffff7ffffecfffffdbfffffbbfffff7ffffff0fffffbbf";

  test("every byte's code matches Go's encoder", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");
    expect(huffmanEncode(all).toString("hex")).toBe(ALL_BYTES_BY_GO);
    expect(huffmanDecode(hex(ALL_BYTES_BY_GO))).toBe(all);
  });

  test("arbitrary byte strings round-trip", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = Buffer.from(bytes).toString("latin1");
        const code = huffmanEncode(s);
        expect(code.length).toBe(huffmanLength(s));
        expect(huffmanDecode(code)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  test("empty string", () => {
    expect(huffmanEncode("").length).toBe(0);
    expect(huffmanDecode(new Uint8Array(0))).toBe("");
  });

  test("refuses padding longer than 7 bits", () => {
    expect(() => huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f4ffff"))).toThrow(/padding/);
    expect(() => huffmanDecode(hex("ff"))).toThrow(HuffmanError);
  });

  test("refuses padding that is not all ones", () => {
    // "a" is 00011: padded with 000 instead of 111.
    expect(huffmanDecode(hex("1f"))).toBe("a");
    expect(() => huffmanDecode(hex("18"))).toThrow(/not all ones/);
    expect(() => huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f4fe"))).toThrow(/not all ones/);
  });

  test("refuses EOS inside the string", () => {
    // "a" is 00011; EOS is 30 one-bits.
    const bits = (b: string) => Buffer.from(b.match(/.{8}/g)!.map((x) => parseInt(x, 2)));
    expect(huffmanDecode(bits("00011" + "00011" + "000111"))).toBe("aaa");
    expect(() => huffmanDecode(bits("00011" + "1".repeat(30) + "00011"))).toThrow(/EOS/);
    expect(() => huffmanDecode(bits("1".repeat(32)))).toThrow(/EOS/);
  });

  test("refuses a char above 0xff", () => {
    expect(() => huffmanLength("✓")).toThrow(TypeError);
  });
});
