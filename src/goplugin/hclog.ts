import { writeSync } from "node:fs";
import type { LogLevel } from "./logger.js";
import { levelAtLeast } from "./logger.js";
import { epochNanos } from "./clock.js";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Wall-clock microseconds since the epoch (see clock.ts). */
export function epochMicros(): number {
  return Number(epochNanos() / 1000n);
}

/**
 * hclog's JSON time format, `2006-01-02T15:04:05.000000Z07:00`, in local time:
 * exactly six fraction digits and a `Z` or `±hh:mm` zone, which is all a Go
 * host accepts.
 */
export function hclogTimestamp(micros: number = epochMicros()): string {
  const ms = Math.floor(micros / 1000);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(frac, 6)}${zone}`
  );
}

/** One hclog JSON line: keys sorted as Go's encoder sorts them, errors as strings. */
export function hclogLine(level: LogLevel, message: string, args: Record<string, unknown> = {}, module?: string): string {
  const rec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) rec[k] = v instanceof Error ? v.message : v;
  rec["@level"] = level;
  rec["@message"] = message;
  rec["@timestamp"] = hclogTimestamp();
  if (module) rec["@module"] = module;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(rec).sort()) sorted[k] = rec[k];
  return JSON.stringify(sorted, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n";
}

/**
 * The plugin-side logger: hclog JSON on the real fd 2, written synchronously so
 * nothing is lost on exit. A Go host parses these into its own logger.
 */
export class HclogLogger {
  constructor(
    private readonly opts: { level?: LogLevel; name?: string; fd?: number } = {},
  ) {}

  named(name: string): HclogLogger {
    return new HclogLogger({ ...this.opts, name: this.opts.name ? `${this.opts.name}.${name}` : name });
  }

  log(level: LogLevel, message: string, args?: Record<string, unknown>): void {
    if (!levelAtLeast(level, this.opts.level ?? "trace")) return;
    const line = hclogLine(level, message, args, this.opts.name);
    try {
      writeSync(this.opts.fd ?? 2, line);
    } catch {
      // stderr closed: nothing to report to
    }
  }
  trace(msg: string, args?: Record<string, unknown>) { this.log("trace", msg, args); }
  debug(msg: string, args?: Record<string, unknown>) { this.log("debug", msg, args); }
  info(msg: string, args?: Record<string, unknown>) { this.log("info", msg, args); }
  warn(msg: string, args?: Record<string, unknown>) { this.log("warn", msg, args); }
  error(msg: string, args?: Record<string, unknown>) { this.log("error", msg, args); }
}
