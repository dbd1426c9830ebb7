import * as grpc from "@grpc/grpc-js";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { trackingInterceptor } from "./channel-close.js";
import { grpcJsChannelOf, grpcJsServerOf } from "./grpc-js-handles.js";
import type { GrpcJsChannel, GrpcJsServer } from "./handles.js";
import { keepaliveOf, type ChannelOptions, type ServerOptions, type TlsPem } from "./options.js";
import { MAX_INT32 } from "./net-addr.js";
import { observingInterceptor } from "./grpc-js-observe.js";

/**
 * The grpc-js engine behind this library's own option and TLS types: each is
 * mapped to grpc-js's channel options and credentials here, and nowhere else.
 */

/** Server credentials of each grpc-js server made here, used when it binds or takes a connection. */
const serverCreds = new WeakMap<grpc.Server, grpc.ServerCredentials>();

export function createGrpcJsServer(o: ServerOptions & { tls?: TlsPem }): GrpcJsServer {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": o.maxReceiveMessageLength ?? 4 * 1024 * 1024,
    "grpc.max_send_message_length": o.maxSendMessageLength ?? MAX_INT32,
    ...(o.callObservers?.length ? { interceptors: [observingInterceptor(o.callObservers)] } : {}),
  });
  if (o.tls) serverCreds.set(server, serverCredentials(o.tls));
  return grpcJsServerOf(server);
}

/** The credentials a grpc-js server binds with: its TLS, else plaintext. */
export function serverCredentialsOf(server: grpc.Server): grpc.ServerCredentials {
  return serverCreds.get(server) ?? grpc.ServerCredentials.createInsecure();
}

function serverCredentials(pem: TlsPem): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(Buffer.from(pem.ca), [{ private_key: Buffer.from(pem.key), cert_chain: Buffer.from(pem.cert) }], true);
}

/** A grpc-js channel to `target` (a grpc-js target string), its calls tracked for `failChannel`. */
export function createGrpcJsChannel(target: string, o: ChannelOptions & { tls?: TlsPem }): GrpcJsChannel {
  const tracking = trackingInterceptor();
  const ka = keepaliveOf(o.keepalive);
  const name = o.tls?.serverName ?? "localhost";
  const options: grpc.ClientOptions = {
    "grpc.max_send_message_length": o.maxSendMessageLength ?? MAX_INT32,
    "grpc.max_receive_message_length": o.maxReceiveMessageLength ?? MAX_INT32,
    ...(ka ? { "grpc.keepalive_time_ms": ka.timeMs, "grpc.keepalive_timeout_ms": ka.timeoutMs, "grpc.keepalive_permit_without_calls": 0 } : {}),
    ...(o.tls ? { "grpc.ssl_target_name_override": name } : {}),
    interceptors: [tracking.interceptor],
  };
  const creds = o.tls
    ? grpc.credentials.createSsl(Buffer.from(o.tls.ca), Buffer.from(o.tls.key), Buffer.from(o.tls.cert), {
        checkServerIdentity: (_host: string, peer: PeerCertificate) => checkServerIdentity(name, peer),
      })
    : grpc.credentials.createInsecure();
  const channel = new grpc.Client(target, creds, options);
  tracking.register(channel);
  return grpcJsChannelOf(channel);
}
