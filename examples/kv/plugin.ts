// A KV plugin in TypeScript. Like go-plugin's plugin-go-grpc it keeps each key
// in a file `kv_<key>` in the working directory, and marks what it wrote.
//
//   KV_PROTO=grpc KV_PLUGIN="node --import tsx examples/kv/plugin.ts" interop/.bin/kv put hello world
import "../../src/plugin.js"; // first: keeps stdout clean until the handshake
import { readFile, writeFile } from "node:fs/promises";
import { HclogLogger, serve } from "../../src/plugin.js";
import { handshake, KV_GRPC, kvServices, type KV } from "./shared.js";

const logger = new HclogLogger();

const fileStore: KV = {
  async get(key) {
    return new Uint8Array(await readFile(`kv_${key}`));
  },
  async put(key, value) {
    const marked = Buffer.concat([value, Buffer.from("\n\nWritten from plugin-ts")]);
    await writeFile(`kv_${key}`, marked, { mode: 0o644 });
  },
};

logger.debug("kv plugin starting", { pid: process.pid });
await serve({
  handshakeConfig: handshake,
  // The name is only a local label: hosts dispense by their own names.
  plugins: { [KV_GRPC]: { grpcServer: () => kvServices(fileStore) } },
  logger,
});
