/**
 * Go's time.Duration text form, which LOOP environment variables use
 * (`1m30s`, `1.5ms`, `0s`), over nanoseconds held in a bigint.
 */
const NS = { ns: 1n, us: 1_000n, "µs": 1_000n, "μs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n } as const;

function fraction(v: bigint, unit: bigint): string {
  const whole = v / unit;
  const rest = v % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}

export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  let u = ns < 0n ? -ns : ns;
  if (u < NS.us) return `${sign}${u}ns`;
  if (u < NS.ms) return `${sign}${fraction(u, NS.us)}µs`;
  if (u < NS.s) return `${sign}${fraction(u, NS.ms)}ms`;
  const h = u / NS.h;
  u %= NS.h;
  const m = u / NS.m;
  u %= NS.m;
  return `${sign}${h > 0n ? `${h}h` : ""}${h > 0n || m > 0n ? `${m}m` : ""}${fraction(u, NS.s)}s`;
}

/** Parses Go's duration syntax; throws Go's `time: invalid duration "…"` otherwise. */
export function parseGoDuration(s: string): bigint {
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1n;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw invalid();
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw invalid();
    const unit = NS[m[3] as keyof typeof NS];
    const frac = m[2] ?? "";
    total += BigInt(m[1] || "0") * unit + (frac ? (BigInt(frac) * unit) / 10n ** BigInt(frac.length) : 0n);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}
