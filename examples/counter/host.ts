// A counter host in TypeScript, a counterpart of go-plugin's
// examples/bidirectional main.go. It serves the addition to the plugin:
//
//   COUNTER_PLUGIN=interop/.bin/counter-go-grpc tsx examples/counter/host.ts put hits 3
//   COUNTER_PLUGIN=interop/.bin/counter-go-grpc tsx examples/counter/host.ts get hits
//
// COUNTER_PLUGIN is run with `sh -c`. Logs go to stderr at COUNTER_LOG_LEVEL (default warn).
import { Client, textLogger, type LogLevel } from "../../src/index.js";
import { COUNTER, handshake, hostPlugins, type AddHelper, type Counter } from "./shared.js";

async function run(args: string[]): Promise<void> {
  const command = process.env.COUNTER_PLUGIN;
  if (!command) throw new Error("set COUNTER_PLUGIN to the plugin command");
  const [op, key, amount] = args;
  if (op === "put" && (key === undefined || amount === undefined || !/^[+-]?\d+$/.test(amount))) {
    throw new Error(`usage: host.ts put KEY INTEGER (given: ${JSON.stringify(args.slice(1))})`);
  }
  if (op !== "put" && !(op === "get" && key !== undefined)) throw new Error("please only use 'get KEY' or 'put KEY INTEGER'");

  const logger = textLogger({ level: (process.env.COUNTER_LOG_LEVEL as LogLevel | undefined) ?? "warn" });
  await using client = new Client({
    handshakeConfig: handshake,
    plugins: hostPlugins,
    cmd: { command: "sh", args: ["-c", command] },
    logger,
  });
  const counter = await client.dispense<Counter>(COUNTER);
  if (op === "get") {
    console.log(String(await counter.get(key!)));
    return;
  }
  const adder: AddHelper = {
    async sum(a, b) {
      logger.log({ level: "debug", message: "AddHelper.Sum", name: "host", args: { a: String(a), b: String(b) } });
      return a + b;
    },
  };
  await counter.put(key!, BigInt(amount!), adder);
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  console.log(`Error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
