/**
 * Opaque public handles for the grpc-js engine's channel and server, so no
 * grpc-js type appears in this library's API. They are used through this
 * library's functions (createClient, addServices, bindServer, stopServer) and
 * their close / forceShutdown.
 */

declare const grpcJsChannel: unique symbol;
declare const grpcJsServer: unique symbol;

/** A client channel on the grpc-js engine. */
export interface GrpcJsChannel {
  readonly [grpcJsChannel]: true;
  /** Closes the channel; calls in flight run on. */
  close(): void;
}

/** A server on the grpc-js engine. */
export interface GrpcJsServer {
  readonly [grpcJsServer]: true;
  /** Cuts every connection and call now. */
  forceShutdown(): void;
}
