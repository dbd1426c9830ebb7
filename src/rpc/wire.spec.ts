import { Code } from "./status.js";
import { decodeMessage, decodeTimeout, encodeMessage, encodeTimeout, frame, FrameDecoder, FrameError } from "./wire.js";

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
