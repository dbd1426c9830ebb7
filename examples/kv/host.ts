// A KV host in TypeScript, a counterpart of go-plugin's examples/grpc main.go:
//
//   KV_PLUGIN=interop/.bin/kv-go-grpc tsx examples/kv/host.ts put hello world
//   KV_PLUGIN=interop/.bin/kv-go-grpc tsx examples/kv/host.ts get hello
//
// KV_PLUGIN is run with `sh -c`, so it may be any shell command. Host and
// plugin logs go to stderr at KV_LOG_LEVEL (default warn).
import { Client, textLogger, type LogLevel } from "../../src/index.js";
import { handshake, hostPlugins, KV_GRPC, type KV } from "./shared.js";

async function run(args: string[]): Promise<void> {
  const command = process.env.KV_PLUGIN;
  if (!command) throw new Error("set KV_PLUGIN to the plugin command");
  const [op, key, value] = args;
  if (!((op === "get" && key !== undefined) || (op === "put" && key !== undefined && value !== undefined))) {
    throw new Error(`usage: host.ts get KEY | put KEY VALUE (given: ${JSON.stringify(args)})`);
  }

  await using client = new Client({
    handshakeConfig: handshake,
    plugins: hostPlugins,
    cmd: { command: "sh", args: ["-c", command] },
    logger: textLogger({ level: (process.env.KV_LOG_LEVEL as LogLevel | undefined) ?? "warn" }),
  });
  const kv = await client.dispense<KV>(KV_GRPC);
  if (op === "get") {
    process.stdout.write(Buffer.concat([await kv.get(key!), Buffer.from("\n")]));
  } else {
    await kv.put(key!, Buffer.from(value!));
  }
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  console.log(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
