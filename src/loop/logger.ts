import type { Logger } from "../goplugin/logger.js";

/**
 * LOOP plugins log zap JSON in hclog's shape with the logger name in a
 * `logger` field; this files such records under that name, as chainlink-common's
 * host adapter does.
 */
export function loopLogger(base: Logger): Logger {
  return {
    log(e) {
      const { logger, ...args } = e.args;
      if (typeof logger !== "string" || !logger) return base.log(e);
      base.log({ ...e, name: e.name ? `${e.name}.${logger}` : logger, args });
    },
  };
}
