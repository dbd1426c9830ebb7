import { Metadata, type MetadataInit } from "./metadata.js";
import * as grpc from "@grpc/grpc-js";
import { fromGrpcJs } from "./grpc-js-metadata.js";

/** gRPC status codes, as numbers on the wire. */
export enum Code {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/**
 * A gRPC status carried as an exception. Handlers throw it to choose the code a
 * caller sees; clients receive it for every non-OK status.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: Code;
  /** The status message exactly as sent on the wire. */
  readonly details: string;
  /** Trailing metadata: received with the status, or sent with it when a handler throws this. */
  readonly metadata: Metadata;

  constructor(code: Code, details: string, metadata?: MetadataInit) {
    super(`${Code[code] ?? code}: ${details}`);
    this.code = code;
    this.details = details;
    this.metadata = metadata instanceof Metadata ? metadata : new Metadata(metadata);
  }

  /** Wraps whatever a call failed with (a grpc-js error keeps its code, details and trailers). */
  static from(err: unknown): RpcError {
    if (err instanceof RpcError) return err;
    const e = err as Partial<grpc.ServiceError> | undefined;
    if (e && typeof e.code === "number") {
      return new RpcError(e.code as number as Code, e.details ?? e.message ?? "", e.metadata instanceof grpc.Metadata ? fromGrpcJs(e.metadata) : undefined);
    }
    return new RpcError(Code.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}

/** A final status: code, message and trailing metadata. */
export interface Status {
  code: Code;
  details: string;
  metadata: Metadata;
}

/**
 * The status a handler's exception becomes. As in grpc-go, a plain error is
 * UNKNOWN carrying its message; an RpcError keeps its code.
 */
export function toStatus(err: unknown): Status {
  if (err instanceof RpcError) {
    return { code: err.code, details: err.details, metadata: err.metadata };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: Code.UNKNOWN, details, metadata: new Metadata() };
}
