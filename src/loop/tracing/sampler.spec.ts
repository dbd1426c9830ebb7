import { parentBasedSampler, traceIdRatioSampler } from "./sampler.js";
import { parseTraceparent } from "./trace-context.js";

const id = (lastHex: string) => Buffer.from("00".repeat(8) + lastHex.padStart(16, "0"), "hex");

describe("TraceIDRatioBased (OpenTelemetry-Go)", () => {
  test("ratio ≥ 1 samples all, ≤ 0 none", () => {
    expect(traceIdRatioSampler(1)(id("ffffffffffffffff"))).toBe(true);
    expect(traceIdRatioSampler(0)(id("0000000000000000"))).toBe(false);
    expect(traceIdRatioSampler(-1)(id("0000000000000000"))).toBe(false);
  });
  test("the bound is ratio × 2^63 over the last 8 bytes shifted right by one", () => {
    const half = traceIdRatioSampler(0.5);
    // 0x7fff… >> 1 = 0x3fff… < 2^62: sampled; 0x8000… >> 1 = 2^62: not.
    expect(half(id("7fffffffffffffff"))).toBe(true);
    expect(half(id("8000000000000000"))).toBe(false);
    expect(half(id("8000000000000001"))).toBe(false);
  });
});

describe("ParentBased", () => {
  const never = parentBasedSampler(() => false);
  const always = parentBasedSampler(() => true);
  test("a sampled parent samples, an unsampled one does not, whatever the root says", () => {
    const sampled = parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    const unsampled = parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
    expect(never(sampled, id("00"))).toBe(true);
    expect(always(unsampled, id("00"))).toBe(false);
  });
  test("without a parent the root sampler decides", () => {
    expect(never(undefined, id("00"))).toBe(false);
    expect(always(undefined, id("00"))).toBe(true);
  });
});
