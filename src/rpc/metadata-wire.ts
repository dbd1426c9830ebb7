import type { OutgoingHttpHeaders } from "node:http2";
import { Metadata } from "./metadata.js";

/**
 * Metadata as HTTP/2 header fields, as grpc-go's transport writes and reads
 * them: protocol headers are never taken from metadata, `-bin` values travel
 * as unpadded base64 and are read padded or not.
 */

/** Headers the gRPC protocol owns (grpc-go's isReservedHeader): metadata never sets them. */
export function isReservedHeader(k: string): boolean {
  if (k[0] === ":") return true;
  switch (k) {
    case "content-type":
    case "user-agent":
    case "grpc-message-type":
    case "grpc-encoding":
    case "grpc-message":
    case "grpc-status":
    case "grpc-timeout":
    case "te":
      return true;
    default:
      return false;
  }
}

/** Received headers users see although reserved (grpc-go: content-type, :authority, user-agent). */
export function visible(k: string): boolean {
  return !isReservedHeader(k) || k === "content-type" || k === ":authority" || k === "user-agent";
}

/** Adds `md` to outgoing headers `out`, skipping reserved keys; returns `out`. */
export function writeMetadata(md: Metadata | undefined, out: OutgoingHttpHeaders): OutgoingHttpHeaders {
  if (!md) return out;
  for (const k of md.keys()) {
    if (isReservedHeader(k)) continue;
    const values: (string | Buffer)[] = md.getAll(k);
    const wire = values.map((v) => (typeof v === "string" ? v : v.toString("base64").replace(/=+$/, "")));
    out[k] = wire.length === 1 ? wire[0] : wire;
  }
  return out;
}

/** A `-bin` header value that does not decode; grpc-go answers INTERNAL with this message. */
export class MetadataError extends Error {}

/**
 * Metadata of received header fields (`rawHeaders`: name, value, name, value…,
 * so repeated fields stay separate values). Throws MetadataError for a `-bin`
 * value that is not base64.
 */
export function readMetadata(rawHeaders: readonly string[]): Metadata {
  const md = new Metadata();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const k = rawHeaders[i].toLowerCase();
    if (!visible(k)) continue;
    const v = rawHeaders[i + 1];
    md.addRaw(k, k.endsWith("-bin") ? decodeBin(k, v) : v);
  }
  return md;
}

const B64 = /^[A-Za-z0-9+/]*$/;

/** grpc-go's decodeBinHeader: padded base64 when the length is a multiple of 4, else unpadded. */
function decodeBin(k: string, v: string): Buffer {
  const body = v.length % 4 === 0 ? v.replace(/={1,2}$/, "") : v;
  const bad = [...body].findIndex((c) => !B64.test(c));
  if (bad >= 0 || body.length % 4 === 1) {
    const at = bad >= 0 ? bad : body.length - 1;
    throw new MetadataError(`malformed binary metadata ${JSON.stringify(v)} in header ${JSON.stringify(k)}: illegal base64 data at input byte ${at}`);
  }
  return Buffer.from(body, "base64");
}
