import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from "./trace-context.js";

const TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("parseTraceparent (Go's TraceContext propagator)", () => {
  test("a valid header: ids, sampled flag, remote", () => {
    const sc = parseTraceparent(TP, "congo=t61rcWkgMzE")!;
    expect(Buffer.from(sc.traceId).toString("hex")).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(Buffer.from(sc.spanId).toString("hex")).toBe("b7ad6b7169203331");
    expect(sc).toMatchObject({ flags: 1, traceState: "congo=t61rcWkgMzE", remote: true });
    expect(formatTraceparent(sc)).toBe(TP);
  });

  test("only the sampled bit of the flags is kept", () => {
    expect(parseTraceparent(TP.replace(/01$/, "ff"))!.flags).toBe(1);
    expect(parseTraceparent(TP.replace(/01$/, "02"))!.flags).toBe(0);
  });

  test("invalid headers are ignored", () => {
    for (const bad of [
      undefined,
      "",
      TP.toUpperCase(),
      TP.replace(/^00/, "ff"),
      TP + "-extra", // version 00 takes no more fields
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
      "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  test("a later version may carry more fields", () => {
    expect(parseTraceparent(TP.replace(/^00/, "01") + "-what-ever")).toBeDefined();
  });

  test("an invalid tracestate is dropped, the parent kept", () => {
    expect(parseTraceparent(TP, "Upper=1")!.traceState).toBe("");
    expect(parseTraceparent(TP, "a=1,a=2")!.traceState).toBe("");
    expect(parseTraceparent(TP, "a=1,b@vendor=2")!.traceState).toBe("a=1,b@vendor=2");
  });
});

test("new ids have the right sizes and differ", () => {
  expect(newTraceId()).toHaveLength(16);
  expect(newSpanId()).toHaveLength(8);
  expect(Buffer.from(newTraceId()).equals(Buffer.from(newTraceId()))).toBe(false);
});
