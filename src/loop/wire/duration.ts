/** Go time.Duration values travel as int64 nanoseconds. */
export const Duration = {
  ns: (n: bigint | number) => BigInt(n),
  us: (n: number) => BigInt(Math.round(n * 1e3)),
  ms: (n: number) => BigInt(Math.round(n * 1e6)),
  seconds: (n: number) => BigInt(Math.round(n * 1e9)),
  minutes: (n: number) => BigInt(n) * 60_000_000_000n,
  hours: (n: number) => BigInt(n) * 3_600_000_000_000n,
  /** Milliseconds as a number; exact below 2^53 ns ≈ 104 days. */
  toMs: (ns: bigint) => Number(ns) / 1e6,
} as const;
