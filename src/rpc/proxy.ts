import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";

const identity = (b: Buffer) => b;

/**
 * A transparent gRPC proxy for the unary methods of `services`: requests are
 * forwarded as raw bytes to the channel `upstream()` returns, with their
 * metadata and deadline; the reply, status code, message, headers and trailers
 * come back unchanged, so a host can hand one plugin's service to another
 * without decoding anything. grpc-js has no
 * catch-all handler, so each method path is registered; paths the proxy does
 * not know are UNIMPLEMENTED, as they would be upstream.
 */
export function registerProxy(
  server: grpc.Server,
  services: Iterable<DescService>,
  upstream: () => grpc.Client | Promise<grpc.Client>,
  /** Called once per relayed call with its path and final status code. */
  onCall?: (path: string, code: grpc.status) => void,
): string[] {
  const paths: string[] = [];
  for (const svc of services) {
    for (const m of svc.methods) {
      if (m.methodKind !== "unary") throw new Error(`proxy: ${svc.typeName}/${m.name} is ${m.methodKind}; only unary methods are relayed`);
      const path = `/${svc.typeName}/${m.name}`;
      server.register(path, forwardUnary(path, upstream, onCall), identity, identity, "unary");
      paths.push(path);
    }
  }
  return paths;
}

function forwardUnary(
  path: string,
  upstream: () => grpc.Client | Promise<grpc.Client>,
  onCall?: (path: string, code: grpc.status) => void,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    Promise.resolve()
      .then(upstream)
      .then(
        (channel) => {
          const deadline = call.getDeadline();
          const options: grpc.CallOptions = deadline === Infinity ? {} : { deadline };
          let reply: { err: grpc.ServiceError | null; value?: Buffer } | undefined;
          let trailers: grpc.Metadata | undefined;
          const finish = () => {
            if (!reply || !trailers) return;
            onCall?.(path, reply.err ? reply.err.code : grpc.status.OK);
            if (reply.err) callback({ code: reply.err.code, details: reply.err.details, metadata: trailers });
            else callback(null, reply.value, trailers);
          };
          const out = channel.makeUnaryRequest(path, identity, identity, call.request, call.metadata, options, (err, value) => {
            reply = { err, value };
            finish();
          });
          out.on("metadata", (md) => call.sendMetadata(md));
          out.on("status", (s) => {
            trailers = s.metadata;
            finish();
          });
          call.once("cancelled", () => out.cancel());
        },
        (err: unknown) => {
          onCall?.(path, grpc.status.UNAVAILABLE);
          callback({ code: grpc.status.UNAVAILABLE, details: `proxy: upstream unavailable: ${(err as Error).message}` });
        },
      );
  };
}
