export { Metadata, type MetadataInit, type MetadataValue } from "./metadata.js";
export { Code, RpcError, toStatus, type Status } from "./status.js";
export { createServer, stopServer, defaultEngine, ENGINE_ENV, type CreateServerOptions, type EngineName } from "./engine.js";
export type { ChannelOptions, KeepaliveOptions, ServerOptions, TlsPem } from "./options.js";
export type { CallObserver, CallReporter, CallType, ObservedCall, ObservedMethod, ObservedStatus } from "./observe.js";
export type { GrpcJsChannel, GrpcJsServer } from "./handles.js";
export { errorWithDetails, statusDetails, STATUS_DETAILS_KEY } from "./status-details.js";
export { H2Channel, type H2ChannelOptions, type ChannelTarget, type ChannelTls } from "./h2-channel.js";
export { H2Server, type H2ServerOptions, type ServerTlsPem } from "./h2-server.js";
export { defaultHttp2, HTTP2_ENV, type Http2Implementation } from "./h2-implementation.js";
export type { Channel } from "./client.js";
export type { Server } from "./server.js";
export { messageCodec, type MessageCodec } from "./codec.js";
export {
  addServices,
  service,
  type HandlerContext,
  type MethodImpl,
  type ServiceImpl,
  type ServiceRegistration,
} from "./server.js";
export { createClient, type CallOptions, type ClientOf, type MethodClient, type ServiceClient } from "./client.js";
export { registerProxy } from "./proxy.js";
