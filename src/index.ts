/**
 * hashicorp/go-plugin's gRPC protocol in TypeScript: `serve()` for plugins,
 * `Client` for hosts, the broker, and the typed RPC layer they share.
 */
import { guardStdout, launchedByHost } from "./goplugin/stdout-guard.js";

// A plugin may import `serve` from here: under a go-plugin host, stdout writes go to stderr until
// serve() has written the handshake line, whatever modules evaluated after this one print.
// In a plugin executable's startup snapshot this module runs at build time: guard when it starts.
const snapshot = process.getBuiltinModule?.("node:v8")?.startupSnapshot;
if (snapshot?.isBuildingSnapshot()) snapshot.addDeserializeCallback(() => launchedByHost() && guardStdout());
else if (launchedByHost()) guardStdout();

export * from "./rpc/index.js";
export { dialChannel, bindServer, TransportError } from "./rpc/transport.js";
export type { NetAddr } from "./rpc/net-addr.js";
export * from "./broker/index.js";
export * from "./goplugin/index.js";
