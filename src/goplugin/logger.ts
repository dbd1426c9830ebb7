export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

/** One structured log record, from the host itself or parsed from a plugin's stderr. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  /** Logger name, e.g. `plugin.kv-plugin` for lines from that plugin. */
  name?: string;
  args: Record<string, unknown>;
  time?: Date;
}

/** Where log records go; plug in pino, winston or a test collector. */
export interface Logger {
  log(entry: LogEntry): void;
}

export function levelAtLeast(level: LogLevel, min: LogLevel): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

/** A Logger that writes hclog-style text lines (`… [INFO]  name: message: k=v`). */
export function textLogger(opts: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = opts.level ?? "info";
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  return {
    log(e) {
      if (!levelAtLeast(e.level, min)) return;
      const tag = `[${e.level.toUpperCase()}]`.padEnd(7);
      const kv = Object.entries(e.args)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      write(`${(e.time ?? new Date()).toISOString()} ${tag} ${e.name ? `${e.name}: ` : ""}${e.message}${kv ? `: ${kv}` : ""}\n`);
    },
  };
}

/** A Logger that drops everything. */
export const discardLogger: Logger = { log() {} };

/** Prefixes `name` (dot-joined, like hclog's Named) onto every record. */
export function namedLogger(logger: Logger, name: string): Logger {
  return { log: (e) => logger.log({ ...e, name: e.name ? `${name}.${e.name}` : name }) };
}
