import * as grpc from "@grpc/grpc-js";
import { H2Server } from "./h2-server.js";
import type { Server } from "./server.js";

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

/** The engine for channels and servers that do not name one: $GO_PLUGIN_TS_ENGINE, else grpc-js (h2 where grpc-js was left out). */
export function defaultEngine(): EngineName {
  const v = process.env[ENGINE_ENV];
  if (v === undefined || v === "") return grpcJsAvailable ? "grpc-js" : "h2";
  if (v === "grpc-js" && !grpcJsAvailable) {
    throw new RangeError(`${ENGINE_ENV}=grpc-js: this executable was built without grpc-js (go-plugin-ts build --engine h2); build it with --engine grpc-js`);
  }
  if (v === "h2" || v === "grpc-js") return v;
  throw new RangeError(`${ENGINE_ENV}=${JSON.stringify(v)}: expected "h2" or "grpc-js"`);
}

/** PEM material for mutual TLS on either engine. */
export interface TlsPem {
  /** Certificates trusted for the peer; both directions require and verify a peer certificate. */
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /** Name checked in the server's certificate when dialing; default `localhost`. */
  serverName?: string;
}

export interface ServerSetup {
  engine?: EngineName;
  maxReceiveMessageLength: number;
  maxSendMessageLength: number;
  /** Mutual TLS (h2 engine; grpc-js takes credentials when binding). */
  tls?: TlsPem;
  /** Extra grpc-js server options (grpc-js engine only). */
  grpcJsOptions?: grpc.ServerOptions;
}

/** A server of the chosen engine with go-plugin's message limits. */
export function createServer(o: ServerSetup): Server {
  if ((o.engine ?? defaultEngine()) === "h2") {
    return new H2Server({ maxReceiveMessageLength: o.maxReceiveMessageLength, maxSendMessageLength: o.maxSendMessageLength, tls: o.tls });
  }
  return new grpc.Server({
    "grpc.max_receive_message_length": o.maxReceiveMessageLength,
    "grpc.max_send_message_length": o.maxSendMessageLength,
    ...o.grpcJsOptions,
  });
}

/** Stops a server of either engine: graceful waits for calls in flight (GOAWAY first), else cuts them. */
export function stopServer(server: Server, graceful: boolean): Promise<void> {
  if (!graceful) {
    server.forceShutdown();
    return Promise.resolve();
  }
  if (server instanceof H2Server) return server.tryShutdown();
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}
