import * as grpc from "@grpc/grpc-js";
import { H2Server } from "./h2-server.js";
import type { Http2Implementation } from "./h2-implementation.js";
import type { Server } from "./server.js";
import type { ServerOptions, TlsPem } from "./options.js";
import { createGrpcJsServer } from "./grpc-js-engine.js";
import { grpcJsServer } from "./grpc-js-handles.js";

/**
 * Which gRPC implementation carries a channel or server: the node:http2 engine
 * of this library ("h2") or @grpc/grpc-js ("grpc-js").
 */
export type EngineName = "h2" | "grpc-js";

/** Environment variable naming the engine used where none is chosen explicitly. */
export const ENGINE_ENV = "GO_PLUGIN_TS_ENGINE";

/**
 * False in a plugin executable that `go-plugin-ts build` made with its default
 * `--engine h2`: there @grpc/grpc-js is a stand-in with only Metadata and the
 * status codes, so only the h2 engine can run.
 */
export const grpcJsAvailable: boolean = !("goPluginTsGrpcJsLeftOut" in grpc);

/** The engine for channels and servers that do not name one: $GO_PLUGIN_TS_ENGINE, else h2. */
export function defaultEngine(): EngineName {
  const v = process.env[ENGINE_ENV];
  if (v === undefined || v === "") return "h2";
  if (v === "grpc-js" && !grpcJsAvailable) {
    throw new RangeError(`${ENGINE_ENV}=grpc-js: this executable was built without grpc-js (go-plugin-ts build --engine h2); build it with --engine grpc-js`);
  }
  if (v === "h2" || v === "grpc-js") return v;
  throw new RangeError(`${ENGINE_ENV}=${JSON.stringify(v)}: expected "h2" or "grpc-js"`);
}

/** A server's options and engine. */
export interface CreateServerOptions extends ServerOptions {
  /** Default `defaultEngine()`. */
  engine?: EngineName;
  /** Mutual TLS: clients must present a certificate `ca` signed. */
  tls?: TlsPem;
  /** What carries the h2 engine's HTTP/2; default `defaultHttp2()` (the library's own). */
  http2?: Http2Implementation;
}

/** A gRPC server of the chosen engine; register services with `addServices`, listen with `bindServer`. */
export function createServer(o: CreateServerOptions = {}): Server {
  if ((o.engine ?? defaultEngine()) === "h2") {
    return new H2Server({
      maxReceiveMessageLength: o.maxReceiveMessageLength,
      maxSendMessageLength: o.maxSendMessageLength,
      tls: o.tls,
      callObservers: o.callObservers,
      http2: o.http2,
    });
  }
  return createGrpcJsServer(o);
}

/** Stops a server of either engine: graceful waits for calls in flight (GOAWAY first), else cuts them. */
export function stopServer(server: Server, graceful: boolean): Promise<void> {
  if (!graceful) {
    server.forceShutdown();
    return Promise.resolve();
  }
  if (server instanceof H2Server) return server.tryShutdown();
  return new Promise((resolve) => grpcJsServer(server).tryShutdown(() => resolve()));
}
