import type { LogEntry, LogLevel } from "./logger.js";

const HCLOG_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const TAGS: ReadonlyArray<[string, LogLevel]> = [
  ["[TRACE]", "trace"],
  ["[DEBUG]", "debug"],
  ["[INFO]", "info"],
  ["[WARN]", "warn"],
  ["[ERROR]", "error"],
];

/**
 * Turns a plugin's stderr lines into log records the way a go-plugin host does:
 * hclog JSON objects keep their level, message and fields; text lines take a
 * `[LEVEL]` prefix or fall to debug; after a `panic:` or `fatal error:` line,
 * untagged text is logged at error. Where a Go host would crash on a JSON line
 * whose special keys are not strings, this parser treats the line as text.
 */
export class StderrLogParser {
  private panicking = false;

  constructor(private readonly name?: string) {}

  /** A complete line (without its newline). */
  parseLine(line: string): LogEntry {
    const json = this.parseJson(line);
    if (json) return json;
    return { level: this.textLevel(line), message: line, name: this.name, args: {} };
  }

  /** A piece of a line longer than the buffer: raw, at debug, as go-plugin logs it. */
  parseFragment(piece: string): LogEntry {
    return { level: "debug", message: piece, name: this.name, args: {} };
  }

  private textLevel(line: string): LogLevel {
    for (const [tag, level] of TAGS) if (line.startsWith(tag)) return level;
    if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) {
      this.panicking = true;
      return "error";
    }
    return this.panicking ? "error" : "debug";
  }

  private parseJson(line: string): LogEntry | undefined {
    if (!line.startsWith("{")) return undefined;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
    const rec = obj as Record<string, unknown>;
    const { "@message": message, "@level": level, "@timestamp": ts, ...args } = rec;
    for (const v of [message, level, ts]) if (v !== undefined && typeof v !== "string") return undefined;
    let time: Date | undefined;
    if (ts !== undefined) {
      time = parseHclogTime(ts as string);
      if (!time) return undefined;
    }
    const lvl = typeof level === "string" ? levelFromString(level) : undefined;
    if (!lvl) return { level: "debug", message: line, name: this.name, args: {}, time };
    return { level: lvl, message: (message as string | undefined) ?? "", name: this.name, args, time };
  }
}

function levelFromString(s: string): LogLevel | undefined {
  const l = s.trim().toLowerCase();
  return (["trace", "debug", "info", "warn", "error"] as const).find((x) => x === l);
}

function parseHclogTime(s: string): Date | undefined {
  const m = HCLOG_TIME.exec(s);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]!.slice(0, 3)}${m[8]}`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
