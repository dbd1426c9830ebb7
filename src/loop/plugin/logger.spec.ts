import type { HclogLogger } from "../../goplugin/hclog.js";
import type { LogLevel } from "../../goplugin/logger.js";
import { LoopLogger } from "./logger.js";

function recorder() {
  const records: Array<{ level: LogLevel; message: string; args?: Record<string, unknown> }> = [];
  const out = { log: (level: LogLevel, message: string, args?: Record<string, unknown>) => records.push({ level, message, args }) };
  return { records, out: out as unknown as HclogLogger };
}

describe("LoopLogger", () => {
  test("puts its dotted name in a `logger` field, as zap's Named does", () => {
    const { records, out } = recorder();
    const root = new LoopLogger("TsRelayer", out);
    root.info("up", { a: 1 });
    root.named("provider").named("reader").warn("slow");
    expect(records).toEqual([
      { level: "info", message: "up", args: { a: 1, logger: "TsRelayer" } },
      { level: "warn", message: "slow", args: { logger: "TsRelayer.provider.reader" } },
    ]);
  });

  test("an unnamed root adds no field; its children are named from the top", () => {
    const { records, out } = recorder();
    const root = new LoopLogger("", out);
    root.debug("plain");
    root.named("staticRelayer").error("bad");
    expect(records).toEqual([
      { level: "debug", message: "plain", args: {} },
      { level: "error", message: "bad", args: { logger: "staticRelayer" } },
    ]);
  });
});
