/**
 * W3C trace context as OpenTelemetry-Go's TraceContext propagator reads it
 * (what a Go LOOP plugin's gRPC servers extract from `traceparent` and
 * `tracestate`): the ids of the caller's span, its sampled flag, and whether
 * it came from another process.
 */
import { randomFillSync } from "node:crypto";

export interface SpanContext {
  /** 16 bytes, not all zero. */
  traceId: Uint8Array;
  /** 8 bytes, not all zero. */
  spanId: Uint8Array;
  /** W3C trace flags; only the sampled bit (0x01) is kept, as Go's propagator does. */
  flags: number;
  /** The `tracestate` header as received when valid, else "". */
  traceState: string;
  /** Extracted from a peer's headers (true) rather than made here. */
  remote: boolean;
}

export const FLAG_SAMPLED = 0x01;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const allZero = (b: Uint8Array) => b.every((x) => x === 0);

/**
 * The caller's span from `traceparent` (and `tracestate`), or undefined when
 * absent or invalid: version `ff` is invalid, version `00` takes no trailing
 * fields, ids must not be all zero (Go's propagation.TraceContext).
 */
export function parseTraceparent(traceparent: string | undefined, tracestate?: string): SpanContext | undefined {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (!m) return undefined;
  const [, version, tid, sid, flags, rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const traceId = Buffer.from(tid!, "hex");
  const spanId = Buffer.from(sid!, "hex");
  if (allZero(traceId) || allZero(spanId)) return undefined;
  return {
    traceId,
    spanId,
    flags: Number.parseInt(flags!, 16) & FLAG_SAMPLED,
    traceState: tracestate !== undefined && validTraceState(tracestate) ? tracestate : "",
    remote: true,
  };
}

/** `traceparent` for a span context (version 00). */
export function formatTraceparent(sc: SpanContext): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return `00-${hex(sc.traceId)}-${hex(sc.spanId)}-${(sc.flags & 0xff).toString(16).padStart(2, "0")}`;
}

// W3C tracestate list members, as Go's trace.ParseTraceState checks them: at most 32, keys unique.
const KEY = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

function validTraceState(s: string): boolean {
  if (s === "") return true;
  const keys = new Set<string>();
  const members = s.split(",");
  if (members.length > 32) return false;
  for (const member of members) {
    const eq = member.indexOf("=");
    if (eq < 0) return false;
    const key = member.slice(0, eq).trim();
    const value = member.slice(eq + 1).replace(/[ \t]+$/, "");
    if (!KEY.test(key) || !VALUE.test(value) || keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

/** New random ids (never all zero). */
export function newTraceId(): Uint8Array {
  return randomId(16);
}
export function newSpanId(): Uint8Array {
  return randomId(8);
}
function randomId(n: number): Uint8Array {
  const b = new Uint8Array(n);
  do randomFillSync(b);
  while (allZero(b));
  return b;
}
