import type { HclogLogger } from "../../goplugin/hclog.js";
import type { LogLevel } from "../../goplugin/logger.js";

/**
 * A LOOP plugin's logger: hclog-shaped JSON on stderr with the logger's name
 * in a `logger` field, as chainlink-common's zap logger writes it; a LOOP host
 * files each record under that name.
 */
export class LoopLogger {
  constructor(
    readonly name: string,
    private readonly out: HclogLogger,
  ) {}

  /** A child logger, `parent.child` like zap's Named. */
  named(child: string): LoopLogger {
    return new LoopLogger(this.name ? `${this.name}.${child}` : child, this.out);
  }

  log(level: LogLevel, message: string, args: Record<string, unknown> = {}): void {
    this.out.log(level, message, this.name ? { ...args, logger: this.name } : args);
  }
  debug(msg: string, args?: Record<string, unknown>) { this.log("debug", msg, args); }
  info(msg: string, args?: Record<string, unknown>) { this.log("info", msg, args); }
  warn(msg: string, args?: Record<string, unknown>) { this.log("warn", msg, args); }
  error(msg: string, args?: Record<string, unknown>) { this.log("error", msg, args); }
}
