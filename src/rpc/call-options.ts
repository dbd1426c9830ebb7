import type { Metadata, MetadataInit } from "./metadata.js";

/** Per-call options of typed clients. */
export interface CallOptions {
  /** Aborting cancels the call (the server sees CANCELLED). */
  signal?: AbortSignal;
  /** Absolute deadline, or milliseconds from now. */
  deadline?: Date | number;
  /** Request metadata: a Metadata, or a record / pairs of keys to values. */
  metadata?: MetadataInit;
  /** Receives the response headers (initial metadata), as grpc-go's `grpc.Header` call option. */
  onHeader?: (md: Metadata) => void;
  /** Receives the trailing metadata on every outcome, as grpc-go's `grpc.Trailer` call option. */
  onTrailer?: (md: Metadata) => void;
}
