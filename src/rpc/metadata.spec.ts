import { Metadata } from "./metadata.js";
import { MetadataError, readMetadata, writeMetadata } from "./metadata-wire.js";

describe("Metadata", () => {
  test("keys are case-insensitive and keep several values in order", () => {
    const md = new Metadata({ "X-Id": "1" }).append("x-id", "2").append("X-BIN-bin", Buffer.from([1]));
    expect(md.get("x-ID")).toBe("1");
    expect(md.getAll("x-id")).toEqual(["1", "2"]);
    expect(md.get("x-bin-bin")).toEqual(Buffer.from([1]));
    expect([...md.keys()]).toEqual(["x-id", "x-bin-bin"]);
    expect(md.set("x-id", ["a", "b"]).getAll("x-id")).toEqual(["a", "b"]);
    expect(md.delete("X-ID")).toBe(true);
    expect(md.has("x-id")).toBe(false);
  });

  test("merge and clone copy values; copies are independent", () => {
    const a = new Metadata([["k", "1"]]);
    const b = a.clone().merge({ k: ["2"], "v-bin": new Uint8Array([9]) });
    expect(a.getAll("k")).toEqual(["1"]);
    expect(b.getAll("k")).toEqual(["1", "2"]);
    expect(b.get("v-bin")).toEqual(Buffer.from([9]));
    expect(b.toJSON()).toEqual({ k: ["1", "2"], "v-bin": ["CQ"] });
  });

  test("refuses what grpc-go refuses, with its reasons", () => {
    expect(() => new Metadata({ "": "x" })).toThrow("empty key");
    expect(() => new Metadata({ "bad key": "x" })).toThrow("illegal characters not in [0-9a-z-_.]");
    expect(() => new Metadata({ k: "line\nbreak" })).toThrow("non-printable ASCII");
    expect(() => new Metadata({ k: "ünï" })).toThrow("non-printable ASCII");
    expect(() => new Metadata({ "k-bin": "text" })).toThrow("must be a Uint8Array");
    expect(() => new Metadata({ k: Buffer.from("x") })).toThrow("must be a string");
  });
});

describe("metadata on the wire", () => {
  test("reserved keys are not sent; -bin values are unpadded base64; repeated keys are arrays", () => {
    const md = new Metadata({ "content-type": "text/plain", te: "x", "grpc-timeout": "1S", "user-agent": "me", "grpc-status": "0", a: ["1", "2"], "b-bin": Buffer.from([0, 1]) });
    expect(writeMetadata(md, {})).toEqual({ a: ["1", "2"], "b-bin": "AAE" });
  });

  test("reads repeated fields as separate values, base64 padded or not; keeps grpc-go's visible reserved headers", () => {
    const md = readMetadata([":path", "/x", ":authority", "h", "content-type", "application/grpc", "te", "trailers", "grpc-timeout", "1S", "a", "1, 2", "a", "3", "b-bin", "AAE=", "b-bin", "AAE"]);
    expect(md.toJSON()).toEqual({ ":authority": ["h"], "content-type": ["application/grpc"], a: ["1, 2", "3"], "b-bin": ["AAE", "AAE"] });
    expect(md.getAll("b-bin")).toEqual([Buffer.from([0, 1]), Buffer.from([0, 1])]);
  });

  test("malformed base64 is an error naming the header", () => {
    for (const bad of ["A", "AA=", "A*AA", "AAAAA", "AA==AA"]) expect(() => readMetadata(["x-bin", bad])).toThrow(MetadataError);
    expect(() => readMetadata(["x-bin", "!!"])).toThrow('malformed binary metadata "!!" in header "x-bin"');
  });
});
