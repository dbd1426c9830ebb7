// The LOOP environment contract against Go. interop/.bin/loop-env (linking chainlink-common
// v0.11.1) prints {"zero", "filled", "filled_fields"}: loop.EnvConfig.AsCmdEnv() of the zero
// config and of a config with the listed fields set. `loop-env -parse` starts Go's plugin-side
// server (loop.NewStartedServer), which parses its own environment first, and prints
// {"ok", "error", "stage", "env_config"}.
//
// Checked: our envConfigToCmdEnv against Go's AsCmdEnv (order and text); Go's parser accepting
// what we emit and reading the same values our parseEnvConfig reads; Go and us rejecting the same
// broken environments with the same text; Go's duration syntax both ways; the metrics endpoint.
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { envConfigToCmdEnv, EnvConfigError, formatGoFloat, parseEnvConfig, type EnvConfig } from "../src/loop/env-config.js";
import { formatGoDuration, parseGoDuration } from "../src/loop/wire/go-duration.js";
import { serveMetrics } from "../src/loop/metrics.js";
import { BIN } from "./helpers.js";

const LOOP_ENV = join(BIN, "loop-env");
const ENV_PREFIX = "error getting environment configuration: ";

interface GoEnvDump {
  zero: string[];
  filled: string[];
  filled_fields: Record<string, unknown>;
}

interface GoParse {
  ok: boolean;
  error: string;
  stage: "env" | "server" | "";
  env_config: Record<string, unknown> | null;
}

function requireBinary(): void {
  if (!existsSync(LOOP_ENV)) {
    throw new Error(`${LOOP_ENV} is missing: run \`npm run interop:build\` (needs Go); these tests never skip`);
  }
}

requireBinary();
const GO: GoEnvDump = JSON.parse(execFileSync(LOOP_ENV, [], { encoding: "utf8" }));

/** Runs Go's parser with exactly `env` (nothing inherited). */
function goParse(env: Record<string, string>): Promise<GoParse> {
  return new Promise((resolve, reject) => {
    execFile(LOOP_ENV, ["-parse"], { env, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`loop-env -parse failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as GoParse);
      } catch {
        reject(new Error(`loop-env -parse printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

const asLines = (env: Array<[string, string]>) => env.map(([k, v]) => `${k}=${v}`);
const asEnv = (env: Array<[string, string]>) => Object.fromEntries(env);

type Kind = "string" | "bool" | "int" | "duration" | "float" | "map" | "level" | "url";

/** Every loop.EnvConfig field: Go name, our path, kind. */
const FIELDS: Array<[go: string, ts: string, kind: Kind]> = [
  ["AppID", "appId", "string"],
  ["DatabaseURL", "database.url", "url"],
  ["DatabaseIdleInTxSessionTimeout", "database.idleInTxSessionTimeoutNs", "duration"],
  ["DatabaseLockTimeout", "database.lockTimeoutNs", "duration"],
  ["DatabaseQueryTimeout", "database.queryTimeoutNs", "duration"],
  ["DatabaseListenerFallbackPollInterval", "database.listenerFallbackPollIntervalNs", "duration"],
  ["DatabaseLogSQL", "database.logSql", "bool"],
  ["DatabaseMaxOpenConns", "database.maxOpenConns", "int"],
  ["DatabaseMaxIdleConns", "database.maxIdleConns", "int"],
  ["DatabaseTracingEnabled", "database.tracingEnabled", "bool"],
  ["FeatureLogPoller", "featureLogPoller", "bool"],
  ["GRPCServerMaxRecvMsgSize", "grpcServerMaxRecvMsgSize", "int"],
  ["MercuryCacheLatestReportDeadline", "mercuryCacheLatestReportDeadlineNs", "duration"],
  ["MercuryCacheLatestReportTTL", "mercuryCacheLatestReportTtlNs", "duration"],
  ["MercuryCacheMaxStaleAge", "mercuryCacheMaxStaleAgeNs", "duration"],
  ["MercuryTransmitterProtocol", "mercuryTransmitterProtocol", "string"],
  ["MercuryTransmitterTransmitQueueMaxSize", "mercuryTransmitterTransmitQueueMaxSize", "int"],
  ["MercuryTransmitterTransmitTimeout", "mercuryTransmitterTransmitTimeoutNs", "duration"],
  ["MercuryTransmitterTransmitConcurrency", "mercuryTransmitterTransmitConcurrency", "int"],
  ["MercuryTransmitterReaperFrequency", "mercuryTransmitterReaperFrequencyNs", "duration"],
  ["MercuryTransmitterReaperMaxAge", "mercuryTransmitterReaperMaxAgeNs", "duration"],
  ["MercuryVerboseLogging", "mercuryVerboseLogging", "bool"],
  ["PrometheusPort", "prometheusPort", "int"],
  ["TracingEnabled", "tracingEnabled", "bool"],
  ["TracingCollectorTarget", "tracingCollectorTarget", "string"],
  ["TracingSamplingRatio", "tracingSamplingRatio", "float"],
  ["TracingTLSCertPath", "tracingTlsCertPath", "string"],
  ["TracingAttributes", "tracingAttributes", "map"],
  ["TelemetryEnabled", "telemetryEnabled", "bool"],
  ["TelemetryEndpoint", "telemetryEndpoint", "string"],
  ["TelemetryInsecureConnection", "telemetryInsecureConnection", "bool"],
  ["TelemetryCACertFile", "telemetryCaCertFile", "string"],
  ["TelemetryAttributes", "telemetryAttributes", "map"],
  ["TelemetryTraceSampleRatio", "telemetryTraceSampleRatio", "float"],
  ["TelemetryAuthHeaders", "telemetryAuthHeaders", "map"],
  ["TelemetryAuthPubKeyHex", "telemetryAuthPubKeyHex", "string"],
  ["TelemetryAuthHeadersTTL", "telemetryAuthHeadersTtlNs", "duration"],
  ["TelemetryEmitterBatchProcessor", "telemetryEmitterBatchProcessor", "bool"],
  ["TelemetryEmitterExportTimeout", "telemetryEmitterExportTimeoutNs", "duration"],
  ["TelemetryEmitterExportInterval", "telemetryEmitterExportIntervalNs", "duration"],
  ["TelemetryEmitterExportMaxBatchSize", "telemetryEmitterExportMaxBatchSize", "int"],
  ["TelemetryEmitterMaxQueueSize", "telemetryEmitterMaxQueueSize", "int"],
  ["TelemetryLogStreamingEnabled", "telemetryLogStreamingEnabled", "bool"],
  ["TelemetryLogLevel", "telemetryLogLevel", "level"],
  ["TelemetryLogBatchProcessor", "telemetryLogBatchProcessor", "bool"],
  ["TelemetryLogExportTimeout", "telemetryLogExportTimeoutNs", "duration"],
  ["TelemetryLogExportMaxBatchSize", "telemetryLogExportMaxBatchSize", "int"],
  ["TelemetryLogExportInterval", "telemetryLogExportIntervalNs", "duration"],
  ["TelemetryLogMaxQueueSize", "telemetryLogMaxQueueSize", "int"],
  ["TelemetryTraceCompressor", "telemetryTraceCompressor", "string"],
  ["TelemetryMetricCompressor", "telemetryMetricCompressor", "string"],
  ["TelemetryLogCompressor", "telemetryLogCompressor", "string"],
  ["ChipIngressEndpoint", "chipIngressEndpoint", "string"],
  ["ChipIngressInsecureConnection", "chipIngressInsecureConnection", "bool"],
  ["CRESettings", "creSettings", "string"],
  ["CRESettingsDefault", "creSettingsDefault", "string"],
];
const FIELD_BY_GO = new Map(FIELDS.map((f) => [f[0], f]));

function setPath(e: EnvConfig, path: string, v: unknown): void {
  const [a, b] = path.split(".") as [string, string?];
  const rec = e as Record<string, unknown>;
  if (b === undefined) rec[a] = v;
  else rec[a] = { ...((rec[a] as object | undefined) ?? { url: "" }), [b]: v };
}

function getPath(e: EnvConfig, path: string): unknown {
  const [a, b] = path.split(".") as [string, string?];
  const x = (e as Record<string, unknown>)[a];
  return b === undefined ? x : (x as Record<string, unknown> | undefined)?.[b];
}

/** A Go field value (from filled_fields: durations in Go syntax) as our value. */
function fromGoFilled(kind: Kind, v: unknown): unknown {
  return kind === "duration" ? parseGoDuration(v as string) : v;
}

/** Go's parsed field (JSON of the Go struct) and ours, normalised for comparison. */
function normalise(kind: Kind, goName: string, go: unknown, ours: unknown): [unknown, unknown] {
  switch (kind) {
    case "duration":
      return [BigInt(go as number), (ours as bigint | undefined) ?? 0n];
    case "map": {
      const g = { ...((go as Record<string, string> | null) ?? {}) };
      // NewStartedServer adds the app id to the tracing attributes after parsing.
      if (goName === "TracingAttributes") delete g["service.instance.id"];
      return [g, ours ?? {}];
    }
    case "bool":
      return [go, ours ?? false];
    case "int":
    case "float":
      return [go, ours ?? 0];
    case "level":
      return [go, ours ?? "info"];
    case "url":
      return [go, ours ?? null];
    default:
      return [go, ours ?? ""];
  }
}

/** Our parse of `env` next to Go's, field by field. */
function compareParsed(goCfg: Record<string, unknown>, ours: EnvConfig): void {
  expect(Object.keys(goCfg).sort()).toEqual(FIELDS.map((f) => f[0]).sort());
  const diffs: string[] = [];
  for (const [goName, path, kind] of FIELDS) {
    const [g, o] = normalise(kind, goName, goCfg[goName], getPath(ours, path));
    try {
      expect(o).toEqual(g);
    } catch {
      diffs.push(`${goName}: Go ${String(JSON.stringify(g, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)))} ours ${String(JSON.stringify(o, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)))}`);
    }
  }
  expect(diffs).toEqual([]);
}

/** The environment our host would hand a plugin, with a scrape port anyone may bind. */
const baseEnv = (extra: EnvConfig = {}) => asEnv(envConfigToCmdEnv({ prometheusPort: 0, ...extra }));

describe("AsCmdEnv", () => {
  test("the zero config: Go's list exactly, in order", () => {
    expect(asLines(envConfigToCmdEnv({}))).toEqual(GO.zero);
  });

  test("the filled config: Go's list exactly, in order", () => {
    const e: EnvConfig = {};
    const unknown: string[] = [];
    for (const [goName, v] of Object.entries(GO.filled_fields)) {
      const f = FIELD_BY_GO.get(goName);
      if (!f) unknown.push(goName);
      else setPath(e, f[1], fromGoFilled(f[2], v));
    }
    expect(unknown).toEqual([]);
    expect(asLines(envConfigToCmdEnv(e))).toEqual(GO.filled);
  });

  test("floats print as Go's strconv.FormatFloat(f, 'f', -1, 64)", () => {
    expect(formatGoFloat(0)).toBe("0");
    expect(formatGoFloat(0.25)).toBe("0.25");
    expect(formatGoFloat(1)).toBe("1");
    expect(formatGoFloat(1e-7)).toBe("0.0000001");
    expect(formatGoFloat(1.5e-10)).toBe("0.00000000015");
    expect(formatGoFloat(1e21)).toBe("1000000000000000000000");
    expect(formatGoFloat(1.2345e22)).toBe("12345000000000000000000");
    expect(formatGoFloat(0.1 + 0.2)).toBe("0.30000000000000004");
    expect(formatGoFloat(-0)).toBe("-0");
    expect(formatGoFloat(NaN)).toBe("NaN");
    expect(formatGoFloat(Infinity)).toBe("+Inf");
    expect(formatGoFloat(-Infinity)).toBe("-Inf");
  });
});

describe("Go's parser (loop.NewStartedServer) on our environment", () => {
  test("accepts our zero environment, with exactly our variables, and reads what we read", async () => {
    const env = asEnv(envConfigToCmdEnv({}));
    const go = await goParse(env);
    expect(go).toMatchObject({ ok: true, error: "", stage: "" });
    compareParsed(go.env_config!, parseEnvConfig(env));
  });

  test("accepts our filled environment (it gets past the environment to the database)", async () => {
    const e: EnvConfig = {};
    for (const [goName, v] of Object.entries(GO.filled_fields)) {
      const f = FIELD_BY_GO.get(goName)!;
      setPath(e, f[1], fromGoFilled(f[2], v));
    }
    e.prometheusPort = 0;
    const env = asEnv(envConfigToCmdEnv(e));
    const go = await goParse(env);
    // The filled config has a database URL: Go then connects, which fails here, after the environment was accepted.
    expect(go.stage).not.toBe("env");
    if (!go.ok) expect(go.error).toMatch(/DataBase|database/);
    expect(() => parseEnvConfig(env)).not.toThrow();
  });

  test("reads every field of a rich environment as we do (tracing and telemetry on)", async () => {
    const rich: EnvConfig = {
      appId: "app-1",
      featureLogPoller: true,
      grpcServerMaxRecvMsgSize: 16 << 20,
      mercuryCacheLatestReportDeadlineNs: 1_500n,
      mercuryCacheLatestReportTtlNs: 61_500_000_000n,
      mercuryCacheMaxStaleAgeNs: 3_600_000_000_001n,
      mercuryTransmitterProtocol: "wsrpc",
      mercuryTransmitterTransmitQueueMaxSize: 0xffffffff,
      mercuryTransmitterTransmitTimeoutNs: 999_999n,
      mercuryTransmitterTransmitConcurrency: 7,
      mercuryTransmitterReaperFrequencyNs: 1_234_567n,
      mercuryTransmitterReaperMaxAgeNs: 123_456_789_012_345n,
      mercuryVerboseLogging: true,
      tracingEnabled: true,
      tracingCollectorTarget: "localhost:4317",
      tracingSamplingRatio: 1e-7,
      tracingTlsCertPath: "", // Go would load it: a path must name a real certificate
      tracingAttributes: { region: "eu", "k.with.dots": "v=1" },
      telemetryEnabled: true,
      telemetryEndpoint: "",
      telemetryInsecureConnection: true,
      telemetryCaCertFile: "/ca.pem",
      telemetryTraceSampleRatio: 0.125,
      telemetryAttributes: { a: "b" },
      telemetryAuthHeaders: { "X-Auth": "secret" },
      telemetryAuthPubKeyHex: "abcdef",
      telemetryAuthHeadersTtlNs: 90_000_000_000n,
      telemetryEmitterBatchProcessor: true,
      telemetryEmitterExportTimeoutNs: 1n,
      telemetryEmitterExportIntervalNs: 999n,
      telemetryEmitterExportMaxBatchSize: 100,
      telemetryEmitterMaxQueueSize: -5,
      telemetryLogStreamingEnabled: false,
      telemetryLogLevel: "warn",
      telemetryLogBatchProcessor: true,
      telemetryLogExportTimeoutNs: 5_000_000_000n,
      telemetryLogExportMaxBatchSize: 9,
      telemetryLogExportIntervalNs: 86_400_000_000_000n,
      telemetryLogMaxQueueSize: 11,
      telemetryTraceCompressor: "gzip",
      telemetryMetricCompressor: "none",
      telemetryLogCompressor: "gzip",
      chipIngressEndpoint: "",
      chipIngressInsecureConnection: true,
      creSettings: '{"a":1}',
      creSettingsDefault: '{"b":2}',
    };
    const env = baseEnv(rich);
    const go = await goParse(env);
    expect(go).toMatchObject({ ok: true, stage: "" });
    const ours = parseEnvConfig(env);
    compareParsed(go.env_config!, ours);
    // And ours gives back what we put in (the auth-header prefix also catches …_HEADERS_TTL, in Go too).
    expect(ours).toMatchObject({ ...rich, telemetryAuthHeaders: { "X-Auth": "secret", S_TTL: "1m30s" }, prometheusPort: 0 });
  });

  test("reads Go's looser spellings the same way", async () => {
    const env = {
      ...baseEnv({ tracingEnabled: true, tracingCollectorTarget: "/local", telemetryEnabled: true }),
      CL_FEATURE_LOG_POLLER: "T",
      CL_GRPC_SERVER_MAX_RECV_MSG_SIZE: "+0012",
      CL_MERCURY_CACHE_LATEST_REPORT_TTL: "1h2m3.5s",
      CL_MERCURY_CACHE_MAX_STALE_AGE: ".5µs",
      CL_MERCURY_TRANSMITTER_REAPER_FREQUENCY: "-1.5h",
      CL_TRACING_SAMPLING_RATIO: "not-a-number",
      CL_TELEMETRY_TRACE_SAMPLE_RATIO: "1e400",
      CL_TELEMETRY_LOG_LEVEL: "WARNING",
      CL_PROMETHEUS_PORT: "-0",
    };
    const go = await goParse(env);
    expect(go).toMatchObject({ ok: true, stage: "" });
    compareParsed(go.env_config!, parseEnvConfig(env));
  });
});

/** Go's text must appear in ours after the common prefix; ours must also name the variable. */
async function expectSameFailure(env: Record<string, string>, variable: string): Promise<void> {
  const go = await goParse(env);
  expect(go.ok).toBe(false);
  expect(go.stage).toBe("env");
  expect(go.error.startsWith(ENV_PREFIX)).toBe(true);
  const goText = go.error.slice(ENV_PREFIX.length);
  let ours: unknown;
  try {
    parseEnvConfig(env);
  } catch (err) {
    ours = err;
  }
  expect(ours).toBeInstanceOf(EnvConfigError);
  const e = ours as EnvConfigError;
  expect(e.variable).toBe(variable);
  expect(e.message.startsWith(ENV_PREFIX)).toBe(true);
  expect(e.message).toContain(goText);
  expect(e.message).toContain(variable);
  // Nothing but the variable name is added: ours is Go's text, or `NAME: ` + Go's text.
  expect([go.error, `${ENV_PREFIX}${variable}: ${goText}`]).toContain(e.message);
}

describe("environments Go rejects, we reject with Go's text", () => {
  const without = (k: string) => {
    const env = baseEnv();
    expect(env).toHaveProperty(k);
    delete env[k];
    return env;
  };

  test("CL_PROMETHEUS_PORT missing", async () => {
    await expectSameFailure(without("CL_PROMETHEUS_PORT"), "CL_PROMETHEUS_PORT");
  });

  test("CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE missing", async () => {
    await expectSameFailure(without("CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE"), "CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE");
  });

  test("CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY missing", async () => {
    await expectSameFailure(without("CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY"), "CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY");
  });

  const bad: Array<[string, Record<string, string>, string]> = [
    ["a malformed bool", { CL_FEATURE_LOG_POLLER: "maybe" }, "CL_FEATURE_LOG_POLLER"],
    ["a malformed int", { CL_GRPC_SERVER_MAX_RECV_MSG_SIZE: "1.5" }, "CL_GRPC_SERVER_MAX_RECV_MSG_SIZE"],
    ["an int out of range", { CL_GRPC_SERVER_MAX_RECV_MSG_SIZE: "9223372036854775808" }, "CL_GRPC_SERVER_MAX_RECV_MSG_SIZE"],
    ["a duration with an unknown unit", { CL_MERCURY_CACHE_LATEST_REPORT_TTL: "5d" }, "CL_MERCURY_CACHE_LATEST_REPORT_TTL"],
    ["a duration missing a unit", { CL_MERCURY_CACHE_MAX_STALE_AGE: "1h1" }, "CL_MERCURY_CACHE_MAX_STALE_AGE"],
    ["a duration out of range", { CL_MERCURY_TRANSMITTER_REAPER_MAX_AGE: "2562048h" }, "CL_MERCURY_TRANSMITTER_REAPER_MAX_AGE"],
    ["a uint32 out of range", { CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE: "4294967296" }, "CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE"],
    ["a negative uint32", { CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY: "-1" }, "CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY"],
    ["a malformed port", { CL_PROMETHEUS_PORT: "90 90" }, "CL_PROMETHEUS_PORT"],
    ["a port with a control character", { CL_PROMETHEUS_PORT: "1\n" }, "CL_PROMETHEUS_PORT"],
    ["a malformed CL_TRACING_ENABLED", { CL_TRACING_ENABLED: "yes" }, "CL_TRACING_ENABLED"],
    ["an empty collector target", { CL_TRACING_ENABLED: "true", CL_TRACING_COLLECTOR_TARGET: "" }, "CL_TRACING_COLLECTOR_TARGET"],
    ["a collector target without scheme", { CL_TRACING_ENABLED: "true", CL_TRACING_COLLECTOR_TARGET: ":4317" }, "CL_TRACING_COLLECTOR_TARGET"],
    ["a relative collector target", { CL_TRACING_ENABLED: "true", CL_TRACING_COLLECTOR_TARGET: "collector" }, "CL_TRACING_COLLECTOR_TARGET"],
    ["a malformed CL_TELEMETRY_ENABLED", { CL_TELEMETRY_ENABLED: "on" }, "CL_TELEMETRY_ENABLED"],
    // Go's message names CL_TELEMETRY_ENDPOINT here; ours adds the real variable in front.
    ["a malformed telemetry insecure flag", { CL_TELEMETRY_ENABLED: "1", CL_TELEMETRY_INSECURE_CONNECTION: "nope" }, "CL_TELEMETRY_INSECURE_CONNECTION"],
    ["a malformed telemetry duration", { CL_TELEMETRY_ENABLED: "1", CL_TELEMETRY_EMITTER_EXPORT_TIMEOUT: "10" }, "CL_TELEMETRY_EMITTER_EXPORT_TIMEOUT"],
    ["a malformed telemetry int", { CL_TELEMETRY_ENABLED: "1", CL_TELEMETRY_LOG_MAX_QUEUE_SIZE: "ten" }, "CL_TELEMETRY_LOG_MAX_QUEUE_SIZE"],
    ["a malformed chip-ingress flag", { CL_TELEMETRY_ENABLED: "1", CL_CHIP_INGRESS_INSECURE_CONNECTION: "2" }, "CL_CHIP_INGRESS_INSECURE_CONNECTION"],
    ["a malformed database duration", { CL_DATABASE_URL: "postgres://localhost/db", CL_DATABASE_LOCK_TIMEOUT: "soon" }, "CL_DATABASE_LOCK_TIMEOUT"],
    ["a malformed database int", { CL_DATABASE_URL: "postgres://localhost/db", CL_DATABASE_MAX_IDLE_CONNS: "0x10" }, "CL_DATABASE_MAX_IDLE_CONNS"],
  ];
  test.each(bad)("%s", async (_what, overrides, variable) => {
    await expectSameFailure({ ...baseEnv(), ...overrides }, variable);
  });
});

describe("Go duration syntax", () => {
  // time.Duration(ns).String() as Go prints it.
  const GO_STRINGS: Array<[bigint, string]> = [
    [0n, "0s"],
    [1n, "1ns"],
    [-1n, "-1ns"],
    [999n, "999ns"],
    [1000n, "1µs"],
    [1001n, "1.001µs"],
    [1500n, "1.5µs"],
    [999_999n, "999.999µs"],
    [1_000_000n, "1ms"],
    [1_234_567n, "1.234567ms"],
    [999_999_999n, "999.999999ms"],
    [1_000_000_000n, "1s"],
    [1_000_000_001n, "1.000000001s"],
    [59_999_999_999n, "59.999999999s"],
    [60_000_000_000n, "1m0s"],
    [61_500_000_000n, "1m1.5s"],
    [90_000_000_000n, "1m30s"],
    [3_600_000_000_000n, "1h0m0s"],
    [3_600_000_000_001n, "1h0m0.000000001s"],
    [-3_600_000_000_001n, "-1h0m0.000000001s"],
    [5_400_000_000_000n, "1h30m0s"],
    [86_400_000_000_000n, "24h0m0s"],
    [123_456_789_012_345n, "34h17m36.789012345s"],
    [-1500n, "-1.5µs"],
    [-999_999_999n, "-999.999999ms"],
    [(1n << 63n) - 1n, "2562047h47m16.854775807s"],
    [-(1n << 63n), "-2562047h47m16.854775808s"],
  ];

  test.each(GO_STRINGS)("%p formats as %p and parses back", (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toBe(ns);
  });

  test("the filled config's durations are Go's text", () => {
    for (const [goName, v] of Object.entries(GO.filled_fields)) {
      if (FIELD_BY_GO.get(goName)?.[2] !== "duration") continue;
      expect(formatGoDuration(parseGoDuration(v as string))).toBe(v);
    }
  });

  test("other spellings Go accepts", () => {
    expect(parseGoDuration("+0")).toBe(0n);
    expect(parseGoDuration("-0")).toBe(0n);
    expect(parseGoDuration("1us")).toBe(1000n);
    expect(parseGoDuration("1μs")).toBe(1000n); // Greek mu
    expect(parseGoDuration(".5s")).toBe(500_000_000n);
    expect(parseGoDuration("5.s")).toBe(5_000_000_000n);
    expect(parseGoDuration("3ms2µs7ns")).toBe(3_002_007n);
    expect(parseGoDuration("0.3333333333h")).toBe(1_199_999_999_880n);
    expect(parseGoDuration("1.123456789123456789123456789s")).toBe(1_123_456_789n);
  });

  test("Go's error texts", () => {
    const err = (s: string) => {
      try {
        parseGoDuration(s);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err("")).toBe('time: invalid duration ""');
    expect(err("1")).toBe('time: missing unit in duration "1"');
    expect(err("1x")).toBe('time: unknown unit "x" in duration "1x"');
    expect(err("1h 2m")).toBe('time: unknown unit "h " in duration "1h 2m"');
    expect(err(".s")).toBe('time: invalid duration ".s"');
    expect(err("9223372036854775808ns")).toBe('time: invalid duration "9223372036854775808ns"');
    expect(err("µs")).toBe('time: invalid duration "\\xc2\\xb5s"');
  });
});

describe("metrics endpoint", () => {
  function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  test("serves Prometheus text on /metrics, 404 elsewhere, and closes", async () => {
    const m = await serveMetrics(0);
    expect(m.port).toBeGreaterThan(0);
    try {
      const res = await get(m.port, "/metrics");
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body).toMatch(/^# HELP process_cpu_user_seconds_total /m);
      expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect((await get(m.port, "/metrics?x=1")).status).toBe(200);
      const other = await get(m.port, "/");
      expect(other.status).toBe(404);
      expect((await get(m.port, "/metricsx")).status).toBe(404);
    } finally {
      await m.close();
    }
    await expect(get(m.port, "/metrics")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
