import { Code, RpcError } from "../../rpc/index.js";
import { QueryInvalidArgument } from "../wire/query.js";
import { InvalidTypeError, UnsupportedEncodingError } from "../wire/versioned-bytes.js";

/**
 * The status a Go server adapter would send for a conversion error: Go's
 * "invalid type", "invalid encoding" and query errors are InvalidArgument errors; anything else
 * keeps its own mapping (plain errors are UNKNOWN).
 */
export function goStatus(e: unknown): unknown {
  if (e instanceof InvalidTypeError || e instanceof QueryInvalidArgument || e instanceof UnsupportedEncodingError) return new RpcError(Code.INVALID_ARGUMENT, e.message);
  return e;
}

/** Runs a handler body, mapping conversion errors to Go's statuses. */
export async function withGoStatus<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw goStatus(e);
  }
}
