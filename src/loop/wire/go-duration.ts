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

const UNITS: Record<string, bigint> = { ns: NS.ns, us: NS.us, "µs": NS.us, "μs": NS.us, ms: NS.ms, s: NS.s, m: NS.m, h: NS.h };
const LIMIT = 1n << 63n;

/** Go's quoting in time errors: `"` and `\\` escaped, bytes outside printable ASCII as \xNN. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c >= 0x80) {
      for (const b of Buffer.from(ch, "utf8")) out += `\\x${b.toString(16).padStart(2, "0")}`;
    } else {
      out += c === 0x22 || c === 0x5c ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

/**
 * Parses Go's duration syntax with Go's rules (time.ParseDuration): a
 * possibly signed sequence of decimal numbers with optional fraction and a
 * unit (ns, us, µs, μs, ms, s, m, h), within int64 nanoseconds. Failures
 * throw Go's message: `time: invalid duration "…"`, `time: missing unit in
 * duration "…"` or `time: unknown unit "…" in duration "…"`.
 */
export function parseGoDuration(s: string): bigint {
  const fail = (what: string) => new Error(`time: ${what} ${goQuote(s)}`);
  let rest = s;
  let neg = false;
  if (rest[0] === "-" || rest[0] === "+") {
    neg = rest[0] === "-";
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw fail("invalid duration");
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let total = 0n;
  while (rest !== "") {
    if (!(rest[0] === "." || isDigit(rest[0]))) throw fail("invalid duration");
    let i = 0;
    while (isDigit(rest[i])) i++;
    const intDigits = rest.slice(0, i);
    rest = rest.slice(i);
    const whole = intDigits === "" ? 0n : BigInt(intDigits);
    if (whole > LIMIT) throw fail("invalid duration");
    let fracDigits = "";
    let hasFrac = false;
    if (rest[0] === ".") {
      rest = rest.slice(1);
      let j = 0;
      while (isDigit(rest[j])) j++;
      fracDigits = rest.slice(0, j);
      hasFrac = j > 0;
      rest = rest.slice(j);
    }
    if (intDigits === "" && !hasFrac) throw fail("invalid duration");
    let k = 0;
    while (k < rest.length && rest[k] !== "." && !isDigit(rest[k])) k++;
    if (k === 0) throw fail("missing unit in duration");
    const unitText = rest.slice(0, k);
    rest = rest.slice(k);
    const unit = UNITS[unitText];
    if (unit === undefined) throw fail(`unknown unit ${goQuote(unitText)} in duration`);
    if (whole > LIMIT / unit) throw fail("invalid duration");
    let v = whole * unit;
    const frac = fractionOf(fracDigits);
    if (frac.value > 0n) {
      // Go computes the fraction in float64, truncating; so do we.
      v += BigInt(Math.trunc(Number(frac.value) * (Number(unit) / frac.scale)));
      if (v > LIMIT) throw fail("invalid duration");
    }
    // Go adds in uint64, so a sum of exactly 2^64 wraps to 0; kept for parity.
    total = (total + v) & 0xffffffffffffffffn;
    if (total > LIMIT) throw fail("invalid duration");
  }
  if (neg) return -total;
  if (total > LIMIT - 1n) throw fail("invalid duration");
  return total;
}

/** The fraction digits as Go accumulates them: stops taking digits once more would overflow. */
function fractionOf(digits: string): { value: bigint; scale: number } {
  let value = 0n;
  let scale = 1;
  let overflow = false;
  for (const c of digits) {
    if (overflow) continue;
    if (value > (LIMIT - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const next = value * 10n + BigInt(c);
    if (next > LIMIT) {
      overflow = true;
      continue;
    }
    value = next;
    scale *= 10;
  }
  return { value, scale };
}
