import type * as grpc from "@grpc/grpc-js";

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  readonly metadata: grpc.Metadata;
  /**
   * Aborted when the caller cancels or the deadline passes; the reason is an
   * RpcError with CANCELLED or DEADLINE_EXCEEDED.
   */
  readonly signal: AbortSignal;
  readonly peer: string;
  /** The caller's deadline (from `grpc-timeout`), if it set one. */
  readonly deadline: Date | undefined;
  /** Sends the response headers now, with `md` (grpc-go's `grpc.SendHeader`); at most once, before any message. */
  sendHeader(md: grpc.Metadata): void;
  /** Adds trailing metadata, sent with the status on success and on error (grpc-go's `grpc.SetTrailer`). */
  setTrailer(md: grpc.Metadata): void;
}
