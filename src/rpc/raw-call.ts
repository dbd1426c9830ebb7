import * as grpc from "@grpc/grpc-js";
import type { Channel } from "./client.js";
import { H2Channel } from "./h2-channel.js";
import { grpcJsClient } from "./grpc-js-handles.js";
import { Code, RpcError } from "./status.js";
import { fromGrpcJs, toGrpcJs } from "./grpc-js-metadata.js";
import type { Metadata } from "./metadata.js";

export interface RawCallOptions {
  metadata?: Metadata;
  deadline?: Date;
  signal?: AbortSignal;
  onHeader?: (md: Metadata) => void;
  onTrailer?: (md: Metadata) => void;
}

const identity = (b: Buffer) => b;

/** A unary call of raw message bytes on either engine; failures are RpcErrors carrying the trailers. */
export function rawUnary(channel: Channel, path: string, req: Buffer, o: RawCallOptions = {}): Promise<Buffer> {
  if (channel instanceof H2Channel) {
    return new Promise((resolve, reject) => {
      let res: Buffer | undefined;
      channel
        .start(
          path,
          {
            onHeaders: o.onHeader,
            onMessage: (m) => (res ??= m),
            onStatus: (s) => {
              o.onTrailer?.(s.metadata);
              if (s.code !== Code.OK) reject(new RpcError(s.code, s.details, s.metadata));
              else if (!res) reject(new RpcError(Code.INTERNAL, "cardinality violation: expected <Message> received <EOF>"));
              else resolve(res);
            },
          },
          { metadata: o.metadata, deadline: o.deadline?.getTime(), signal: o.signal },
        )
        .sendLast(req);
    });
  }
  return new Promise((resolve, reject) => {
    const call = grpcJsClient(channel).makeUnaryRequest(path, identity, identity, req, toGrpcJs(o.metadata), o.deadline ? { deadline: o.deadline } : {}, (err, value) =>
      err ? reject(RpcError.from(err)) : resolve(value!),
    );
    if (o.onHeader) call.on("metadata", (md: grpc.Metadata) => o.onHeader!(fromGrpcJs(md)));
    if (o.onTrailer) call.on("status", (s: grpc.StatusObject) => o.onTrailer!(fromGrpcJs(s.metadata)));
    if (o.signal) {
      if (o.signal.aborted) call.cancel();
      else o.signal.addEventListener("abort", () => call.cancel(), { once: true });
    }
  });
}
