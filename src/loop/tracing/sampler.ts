/**
 * The sampler a Go LOOP plugin installs (chainlink-common's SetupTracing):
 * ParentBased(TraceIDRatioBased(CL_TRACING_SAMPLING_RATIO)) from
 * OpenTelemetry-Go's SDK, decision for decision.
 */
import { FLAG_SAMPLED, type SpanContext } from "./trace-context.js";

/**
 * TraceIDRatioBased: a ratio ≥ 1 samples everything, ≤ 0 nothing; otherwise
 * the trace id's last 8 bytes, shifted right by one, below ratio × 2^63.
 */
export function traceIdRatioSampler(ratio: number): (traceId: Uint8Array) => boolean {
  if (ratio >= 1) return () => true;
  // Go: uint64(fraction * (1 << 63)); NaN and negatives end at zero.
  const bound = ratio > 0 ? BigInt(Math.floor(ratio * 2 ** 63)) : 0n;
  return (traceId) => {
    const x = Buffer.from(traceId.buffer, traceId.byteOffset + 8, 8).readBigUInt64BE(0) >> 1n;
    return x < bound;
  };
}

/**
 * ParentBased: a parent's sampled flag decides, remote or local; without a
 * parent, the root sampler does.
 */
export function parentBasedSampler(root: (traceId: Uint8Array) => boolean): (parent: SpanContext | undefined, traceId: Uint8Array) => boolean {
  return (parent, traceId) => (parent ? (parent.flags & FLAG_SAMPLED) !== 0 : root(traceId));
}
