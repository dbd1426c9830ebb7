import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { StatusSchema, type Status } from "../gen/google/rpc/status_pb.js";
import { Metadata, type MetadataInit } from "./metadata.js";
import { Code, RpcError } from "./status.js";

/** The trailer that carries a serialized google.rpc.Status (grpc-go's status.WithDetails). */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/**
 * An RpcError carrying rich details, as grpc-go's `status.New(code, msg).WithDetails(...)`:
 * pack each detail with `anyPack` from `@bufbuild/protobuf/wkt`.
 */
export function errorWithDetails(code: Code, message: string, details: Any[], metadata?: MetadataInit): RpcError {
  if (code === Code.OK) throw new RangeError("a status with details must not be OK");
  const md = new Metadata(metadata);
  const bytes = toBinary(StatusSchema, create(StatusSchema, { code, message, details }));
  md.set(STATUS_DETAILS_KEY, Buffer.from(bytes));
  return new RpcError(code, message, md);
}

/**
 * The google.rpc.Status an error carries, or undefined when it has none or it
 * does not parse (grpc-go then also reports no details).
 */
export function statusDetails(err: RpcError): Status | undefined {
  const raw = err.metadata.get(STATUS_DETAILS_KEY);
  if (!raw) return undefined;
  try {
    return fromBinary(StatusSchema, raw);
  } catch {
    return undefined;
  }
}
