/**
 * hashicorp/go-plugin's gRPC protocol in TypeScript: `serve()` for plugins,
 * `Client` for hosts, the broker, and the typed RPC layer they share.
 */
export * from "./rpc/index.js";
export { dialChannel, bindServer, type NetAddr, TransportError } from "./rpc/transport.js";
export * from "./broker/index.js";
export * from "./goplugin/index.js";
