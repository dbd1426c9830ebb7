import { Code } from "./status.js";
import { decodeMessage, decodeTimeout, encodeMessage, encodeTimeout, frame, FrameDecoder, FrameError, parseStatusCode } from "./wire.js";

describe("grpc-timeout", () => {
  test("encodes with at most 8 digits, rounding up", () => {
    expect(encodeTimeout(1)).toBe("1000000n");
    expect(encodeTimeout(5000)).toBe("5000000u");
    expect(encodeTimeout(99_999)).toBe("99999000u");
    expect(encodeTimeout(100_000)).toBe("100000m");
    expect(encodeTimeout(0.5)).toBe("500000n");
    expect(encodeTimeout(-3)).toBe("0n");
  });
  test("decodes every unit; refuses malformed values", () => {
    expect(decodeTimeout("1H")).toBe(3_600_000);
    expect(decodeTimeout("2M")).toBe(120_000);
    expect(decodeTimeout("3S")).toBe(3000);
    expect(decodeTimeout("4m")).toBe(4);
    expect(decodeTimeout("5000u")).toBe(5);
    expect(decodeTimeout("6000000n")).toBe(6);
    for (const bad of ["", "1", "123456789S", "1s", "-1S", "1.5S"]) expect(decodeTimeout(bad)).toBeUndefined();
  });
});

describe("grpc-status", () => {
  test("base-10 int32 values, sign allowed, taken as uint32 as grpc-go's codes.Code(uint32(v))", () => {
    expect(parseStatusCode("0")).toBe(0);
    expect(parseStatusCode("14")).toBe(14);
    expect(parseStatusCode("+3")).toBe(3);
    expect(parseStatusCode("007")).toBe(7);
    expect(parseStatusCode("99")).toBe(99);
    expect(parseStatusCode("-1")).toBe(4294967295);
    expect(parseStatusCode("2147483647")).toBe(2147483647);
    expect(parseStatusCode("-2147483648")).toBe(2147483648);
  });

  test.each([
    ["", "invalid syntax"],
    ["abc", "invalid syntax"],
    ["0x0", "invalid syntax"],
    ["1e1", "invalid syntax"],
    ["0.0", "invalid syntax"],
    [" 1", "invalid syntax"],
    ["1_0", "invalid syntax"],
    ["2147483648", "value out of range"],
    ["-2147483649", "value out of range"],
  ])("%j is refused with grpc-go's text", (v, why) => {
    expect(parseStatusCode(v)).toEqual(new Error(`transport: malformed grpc-status: strconv.ParseInt: parsing ${JSON.stringify(v)}: ${why}`));
  });
});

describe("grpc-message", () => {
  test("escapes non-printable bytes and % as %XX of the UTF-8, and round-trips", () => {
    expect(encodeMessage("plain text")).toBe("plain text");
    expect(encodeMessage("100% ✓\n")).toBe("100%25 %E2%9C%93%0A");
    for (const s of ["", "a%b", "✓ ünïcode\r\n\t", "%%%"]) expect(decodeMessage(encodeMessage(s))).toBe(s);
  });
  test("keeps malformed escapes as they are", () => {
    expect(decodeMessage("50%")).toBe("50%");
    expect(decodeMessage("%zz%4")).toBe("%zz%4");
  });
});

describe("FrameDecoder", () => {
  const msgs = [Buffer.from("one"), Buffer.alloc(0), Buffer.alloc(70_000, 1)];
  const stream = Buffer.concat(msgs.map((m) => frame(m)));

  test("whole messages in one chunk", () => {
    expect(new FrameDecoder(1 << 20).push(stream)).toEqual(msgs);
  });
  test("any split of the stream gives the same messages", () => {
    for (const size of [3, 7, 4096]) {
      const d = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...d.push(stream.subarray(i, i + size)));
      expect(out).toEqual(msgs);
      expect(d.partial).toBe(false);
    }
  });
  test("refuses an oversize message from its header, a compressed flag, and an unknown flag", () => {
    const err = (buf: Buffer, max = 10) => {
      try {
        new FrameDecoder(max).push(buf);
      } catch (e) {
        return [(e as FrameError).code, (e as FrameError).message];
      }
      return undefined;
    };
    expect(err(frame(Buffer.alloc(11)).subarray(0, 5))).toEqual([Code.RESOURCE_EXHAUSTED, "grpc: received message larger than max (11 vs. 10)"]);
    const compressed = frame(Buffer.from("x"));
    compressed[0] = 1;
    expect(err(compressed)).toEqual([Code.INTERNAL, "grpc: compressed flag set with identity or empty encoding"]);
    compressed[0] = 2;
    expect(err(compressed)).toEqual([Code.INTERNAL, "grpc: received unexpected payload format 2"]);
  });
});
