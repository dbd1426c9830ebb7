/**
 * Wall-clock time with sub-millisecond digits: Date's milliseconds pinned at
 * first use, then advanced by the monotonic clock. The global `performance`
 * would do the same, but reading it loads perf_hooks, a millisecond or two of
 * a plugin's start before its handshake.
 */
let base: { epochNanos: bigint; hr: bigint } | undefined;

/** Nanoseconds since the Unix epoch. */
export function epochNanos(): bigint {
  const hr = process.hrtime.bigint();
  base ??= { epochNanos: BigInt(Date.now()) * 1_000_000n, hr };
  return base.epochNanos + (hr - base.hr);
}
