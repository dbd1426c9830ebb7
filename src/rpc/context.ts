import type { Metadata, MetadataInit } from "./metadata.js";

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  readonly metadata: Metadata;
  /**
   * Aborted when the caller cancels or the deadline passes; the reason is an
   * RpcError with CANCELLED or DEADLINE_EXCEEDED.
   */
  readonly signal: AbortSignal;
  readonly peer: string;
  /** The caller's deadline (from `grpc-timeout`), if it set one. */
  readonly deadline: Date | undefined;
  /** Sends the response headers now, with `md` (grpc-go's `grpc.SendHeader`); at most once, before any message. */
  sendHeader(md: MetadataInit): void;
  /** Adds trailing metadata, sent with the status on success and on error (grpc-go's `grpc.SetTrailer`). */
  setTrailer(md: MetadataInit): void;
}
