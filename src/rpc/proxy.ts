import type { DescService } from "@bufbuild/protobuf";
import type { Channel } from "./client.js";
import type { HandlerContext } from "./context.js";
import { rawUnary } from "./raw-call.js";
import { registerRawUnary, type Server } from "./server.js";
import { Code, RpcError } from "./status.js";
import type { Metadata } from "./metadata.js";

/**
 * A transparent gRPC proxy for the unary methods of `services`: requests are
 * forwarded as raw bytes to the channel `upstream()` returns, with their
 * metadata and deadline; the reply, status code, message, headers and trailers
 * come back unchanged, so a host can hand one plugin's service to another
 * without decoding anything. Each method path is registered (grpc-js has no
 * catch-all handler); paths the proxy does not know are UNIMPLEMENTED, as they
 * would be upstream. Works on either engine, on both sides.
 */
export function registerProxy(
  server: Server,
  services: Iterable<DescService>,
  upstream: () => Channel | Promise<Channel>,
  /** Called once per relayed call with its path and final status code. */
  onCall?: (path: string, code: Code) => void,
): string[] {
  const paths: string[] = [];
  for (const svc of services) {
    for (const m of svc.methods) {
      if (m.methodKind !== "unary") throw new Error(`proxy: ${svc.typeName}/${m.name} is ${m.methodKind}; only unary methods are relayed`);
      const path = `/${svc.typeName}/${m.name}`;
      registerRawUnary(server, path, relay(path, upstream, onCall));
      paths.push(path);
    }
  }
  return paths;
}

function relay(path: string, upstream: () => Channel | Promise<Channel>, onCall?: (path: string, code: Code) => void) {
  return async (req: Buffer, ctx: HandlerContext): Promise<Buffer> => {
    let channel: Channel;
    try {
      channel = await upstream();
    } catch (err) {
      onCall?.(path, Code.UNAVAILABLE);
      throw new RpcError(Code.UNAVAILABLE, `proxy: upstream unavailable: ${(err as Error).message}`);
    }
    let trailers: Metadata | undefined;
    try {
      const res = await rawUnary(channel, path, req, {
        metadata: ctx.metadata,
        deadline: ctx.deadline,
        signal: ctx.signal,
        onHeader: (md) => ctx.sendHeader(md),
        onTrailer: (md) => (trailers = md),
      });
      onCall?.(path, Code.OK);
      if (trailers) ctx.setTrailer(trailers);
      return res;
    } catch (err) {
      const e = RpcError.from(err);
      onCall?.(path, e.code);
      throw e;
    }
  };
}
