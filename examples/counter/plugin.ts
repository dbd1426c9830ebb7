// A counter plugin in TypeScript, a counterpart of go-plugin's
// examples/bidirectional/plugin-go-grpc: counters live in files `kv_<key>` as
// {"Value":N}, and the addition is done by the host, called back through the broker.
//
//   COUNTER_PLUGIN="node --import tsx examples/counter/plugin.ts" interop/.bin/counter put hits 1
import "../../src/plugin.js"; // first: keeps stdout clean until the handshake
import { readFile, writeFile } from "node:fs/promises";
import { HclogLogger, serve } from "../../src/plugin.js";
import { COUNTER, counterServices, handshake, type Counter } from "./shared.js";

const logger = new HclogLogger();

const fileCounter: Counter = {
  async get(key) {
    const text = await readFile(`kv_${key}`, "utf8");
    // Read the number from the JSON text, so int64 values keep every digit.
    const m = /"Value"\s*:\s*(-?\d+)/.exec(text);
    if (!m) throw new Error(`kv_${key}: no "Value" in ${JSON.stringify(text)}`);
    return BigInt(m[1]!);
  },
  async put(key, value, adder) {
    const current = await this.get(key).catch(() => 0n);
    const sum = await adder.sum(current, value);
    await writeFile(`kv_${key}`, `{"Value":${sum}}`, { mode: 0o644 });
  },
};

logger.debug("counter plugin starting", { pid: process.pid });
await serve({
  handshakeConfig: handshake,
  plugins: {
    [COUNTER]: {
      grpcServer: ({ broker }) =>
        counterServices(fileCounter, broker, (t) =>
          logger.debug("host AddHelper called back", { broker_id: t.brokerId, sum: `${t.a}+${t.b}=${t.r}` }),
        ),
    },
  },
  logger,
});
