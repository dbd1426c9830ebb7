export { Code, RpcError, toStatus } from "./status.js";
export { messageCodec, type MessageCodec } from "./codec.js";
export {
  addServices,
  service,
  serviceDefinition,
  type HandlerContext,
  type MethodImpl,
  type ServiceImpl,
  type ServiceRegistration,
} from "./server.js";
export { createClient, type CallOptions, type ClientOf, type MethodClient, type ServiceClient } from "./client.js";
export { registerProxy } from "./proxy.js";
