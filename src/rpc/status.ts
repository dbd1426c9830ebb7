import * as grpc from "@grpc/grpc-js";

/** gRPC status codes, as numbers on the wire. */
export const Code = grpc.status;
export type Code = grpc.status;

/**
 * A gRPC status carried as an exception. Handlers throw it to choose the code a
 * caller sees; clients receive it for every non-OK status.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: Code;
  /** The status message exactly as sent on the wire. */
  readonly details: string;
  readonly metadata: grpc.Metadata;

  constructor(code: Code, details: string, metadata?: grpc.Metadata) {
    super(`${Code[code] ?? code}: ${details}`);
    this.code = code;
    this.details = details;
    this.metadata = metadata ?? new grpc.Metadata();
  }

  /** Wraps whatever a grpc-js call failed with. */
  static from(err: unknown): RpcError {
    if (err instanceof RpcError) return err;
    const e = err as Partial<grpc.ServiceError> | undefined;
    if (e && typeof e.code === "number") {
      return new RpcError(e.code, e.details ?? e.message ?? "", e.metadata);
    }
    return new RpcError(Code.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}

/**
 * The status a handler's exception becomes. As in grpc-go, a plain error is
 * UNKNOWN carrying its message; an RpcError keeps its code.
 */
export function toStatus(err: unknown): grpc.StatusObject {
  if (err instanceof RpcError) {
    return { code: err.code, details: err.details, metadata: err.metadata };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: Code.UNKNOWN, details, metadata: new grpc.Metadata() };
}
