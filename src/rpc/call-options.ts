import type * as grpc from "@grpc/grpc-js";

/** Per-call options of typed clients. */
export interface CallOptions {
  /** Aborting cancels the call (the server sees CANCELLED). */
  signal?: AbortSignal;
  /** Absolute deadline, or milliseconds from now. */
  deadline?: Date | number;
  metadata?: grpc.Metadata;
  /** Receives the response headers (initial metadata), as grpc-go's `grpc.Header` call option. */
  onHeader?: (md: grpc.Metadata) => void;
  /** Receives the trailing metadata on every outcome, as grpc-go's `grpc.Trailer` call option. */
  onTrailer?: (md: grpc.Metadata) => void;
}
