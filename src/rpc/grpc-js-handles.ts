import type * as grpc from "@grpc/grpc-js";
import type { GrpcJsChannel, GrpcJsServer } from "./handles.js";

/** The grpc-js objects behind the opaque handles, and back. */
export const grpcJsClient = (c: GrpcJsChannel): grpc.Client => c as unknown as grpc.Client;
export const grpcJsChannelOf = (c: grpc.Client): GrpcJsChannel => c as unknown as GrpcJsChannel;
export const grpcJsServer = (s: GrpcJsServer): grpc.Server => s as unknown as grpc.Server;
export const grpcJsServerOf = (s: grpc.Server): GrpcJsServer => s as unknown as GrpcJsServer;
