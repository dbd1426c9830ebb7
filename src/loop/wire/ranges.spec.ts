import { goUint8, int32, int64, INT64_MAX, INT64_MIN, safeInt, uint16, uint32, uint8 } from "./ranges.js";

describe("integer range checks", () => {
  test("each accepts its bounds and refuses one past them, naming the field", () => {
    const cases: Array<[(v: number, f: string) => number, number, number, string]> = [
      [uint8, 0, 255, "uint8"],
      [uint16, 0, 0xffff, "uint16"],
      [uint32, 0, 0xffffffff, "uint32"],
      [int32, -(2 ** 31), 2 ** 31 - 1, "int32"],
    ];
    for (const [check, lo, hi, type] of cases) {
      expect(check(lo, "x")).toBe(lo);
      expect(check(hi, "x")).toBe(hi);
      expect(() => check(lo - 1, "field")).toThrow(new RangeError(`field: ${lo - 1} does not fit in a${type === "int32" ? "n" : ""} ${type}`));
      expect(() => check(hi + 1, "field")).toThrow(RangeError);
      expect(() => check(1.5, "field")).toThrow(RangeError);
      expect(() => check(NaN, "field")).toThrow(RangeError);
    }
  });

  test("goUint8 uses chainlink-common's message", () => {
    expect(goUint8(255, "Round")).toBe(255);
    expect(() => goUint8(256, "Round")).toThrow(new RangeError("expected uint8 Round (max 255) but got 256"));
  });

  test("int64 takes bigints within Go's int64 only", () => {
    expect(int64(INT64_MAX, "v")).toBe(INT64_MAX);
    expect(int64(INT64_MIN, "v")).toBe(INT64_MIN);
    expect(() => int64(INT64_MAX + 1n, "lookback")).toThrow(new RangeError(`lookback: ${INT64_MAX + 1n} does not fit in an int64`));
    expect(() => int64(INT64_MIN - 1n, "lookback")).toThrow(RangeError);
  });

  test("safeInt refuses what a number cannot hold exactly", () => {
    expect(safeInt(BigInt(Number.MAX_SAFE_INTEGER), "n")).toBe(Number.MAX_SAFE_INTEGER);
    expect(safeInt(-5n, "n")).toBe(-5);
    expect(() => safeInt(BigInt(Number.MAX_SAFE_INTEGER) + 1n, "max")).toThrow(new RangeError(`max: ${BigInt(Number.MAX_SAFE_INTEGER) + 1n} is not a safe integer`));
  });
});
