// Property-based fuzzing of the parsers that read what a plugin writes: the
// handshake line (only PluginError may come out) and stderr log lines (never throw).
import fc from "fast-check";
import { parseHandshakeLine, PluginError, StderrLogParser } from "../../src/index.js";

export interface FuzzResult {
  parser: string;
  cases: number;
  /** Inputs that made the parser throw something it must not. */
  failures: number;
  counterexample?: string;
  seconds: number;
}

const field = fc.oneof(
  fc.constantFrom("1", "0", "2", "-1", "+1", "99999999999999999999", "", "unix", "tcp", "grpc", "netrpc", "true", "false", "t", "x"),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("A", "z", "+", "/", "=", "0"), minLength: 40, maxLength: 400 }),
  fc.constantFrom("/tmp/plugin123", "127.0.0.1:1234", ":80", "[::1]:5", "host:port", "/tmp/a\rb", "/tmp/\u2028"),
);
/** Lines shaped like handshakes (pipe-separated plausible fields) mixed with arbitrary text. */
const handshakeLine = fc.oneof(
  fc.array(field, { minLength: 0, maxLength: 9 }).map((f) => f.join("|")),
  fc.string({ unit: "binary", maxLength: 300 }),
);
const logLine = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record({ "@level": fc.jsonValue({ maxDepth: 1 }), "@message": fc.jsonValue({ maxDepth: 1 }), "@timestamp": fc.oneof(fc.string(), fc.constant("2024-01-02T03:04:05.123456Z")), "@module": fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.tuple(fc.constantFrom("[TRACE] ", "[DEBUG] ", "[INFO] ", "[WARN] ", "[ERROR] ", "panic: ", "fatal error: ", "\t"), fc.string({ unit: "binary", maxLength: 100 })).map(([a, b]) => a + b),
);

function run(parser: string, cases: number, arb: fc.Arbitrary<string>, check: (s: string) => void, seed?: number): FuzzResult {
  const t0 = Date.now();
  const out = fc.check(fc.property(arb, (s) => check(s)), { numRuns: cases, seed });
  return {
    parser,
    cases,
    failures: out.failed ? 1 : 0,
    counterexample: out.failed ? JSON.stringify(out.counterexample?.[0]) + ` (seed ${out.seed}): ${String(out.errorInstance)}` : undefined,
    seconds: (Date.now() - t0) / 1000,
  };
}

export function fuzzHandshake(cases: number, seed?: number): FuzzResult {
  return run("handshake line", cases, handshakeLine, (line) => {
    try {
      const h = parseHandshakeLine(line, { versions: [1, 2], allowedProtocols: ["grpc"], mux: line.length % 2 === 0 });
      if (!["unix", "tcp"].includes(h.addr.network)) throw new Error(`accepted network ${h.addr.network}`);
    } catch (e) {
      if (!(e instanceof PluginError)) throw e;
      if (/[\r\u2028\u2029\u0000]/.test(e.message)) throw new Error(`unescaped control text in: ${JSON.stringify(e.message)}`);
    }
  }, seed);
}

export function fuzzLogLines(cases: number, seed?: number): FuzzResult {
  const parser = new StderrLogParser("fuzz");
  return run("stderr log line", cases, logLine, (line) => {
    const e = parser.parseLine(line);
    if (typeof e.message !== "string" || !["trace", "debug", "info", "warn", "error"].includes(e.level)) {
      throw new Error(`bad record ${JSON.stringify(e)}`);
    }
  }, seed);
}
