import * as grpc from "@grpc/grpc-js";
import { Metadata } from "./metadata.js";
import { isReservedHeader, visible } from "./metadata-wire.js";

/** The grpc-js engine's side of metadata: the project's Metadata in, grpc-js's out, and back. */

export function toGrpcJs(md: Metadata | undefined): grpc.Metadata {
  const out = new grpc.Metadata();
  if (!md) return out;
  for (const [k, v] of md) if (!isReservedHeader(k)) out.add(k, v);
  return out;
}

export function fromGrpcJs(md: grpc.Metadata | undefined): Metadata {
  const out = new Metadata();
  if (!md) return out;
  for (const [k, values] of Object.entries(md.toJSON())) {
    if (!visible(k)) continue;
    for (const v of values) out.addRaw(k, v);
  }
  return out;
}
