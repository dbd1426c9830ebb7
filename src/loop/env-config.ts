import { CL } from "./env-vars.js";
import { formatGoDuration, parseGoDuration } from "./wire/go-duration.js";

/**
 * The LOOP environment contract of chainlink-common v0.11.1 (`loop.EnvConfig`):
 * what a host passes to every LOOP plugin, and what a plugin must find.
 * Durations are nanoseconds (Go's time.Duration).
 */
export interface EnvConfig {
  appId?: string;
  database?: {
    url: string;
    idleInTxSessionTimeoutNs?: bigint;
    lockTimeoutNs?: bigint;
    queryTimeoutNs?: bigint;
    listenerFallbackPollIntervalNs?: bigint;
    logSql?: boolean;
    maxOpenConns?: number;
    maxIdleConns?: number;
    tracingEnabled?: boolean;
  };
  featureLogPoller?: boolean;
  grpcServerMaxRecvMsgSize?: number;
  mercuryCacheLatestReportDeadlineNs?: bigint;
  mercuryCacheLatestReportTtlNs?: bigint;
  mercuryCacheMaxStaleAgeNs?: bigint;
  mercuryTransmitterProtocol?: string;
  mercuryTransmitterTransmitQueueMaxSize?: number;
  mercuryTransmitterTransmitTimeoutNs?: bigint;
  mercuryTransmitterTransmitConcurrency?: number;
  mercuryTransmitterReaperFrequencyNs?: bigint;
  mercuryTransmitterReaperMaxAgeNs?: bigint;
  mercuryVerboseLogging?: boolean;
  prometheusPort?: number;
  tracingEnabled?: boolean;
  tracingCollectorTarget?: string;
  tracingSamplingRatio?: number;
  tracingTlsCertPath?: string;
  tracingAttributes?: Record<string, string>;
  telemetryEnabled?: boolean;
  telemetryEndpoint?: string;
  telemetryInsecureConnection?: boolean;
  telemetryCaCertFile?: string;
  telemetryTraceSampleRatio?: number;
  telemetryAttributes?: Record<string, string>;
  telemetryAuthHeaders?: Record<string, string>;
  telemetryAuthPubKeyHex?: string;
  telemetryAuthHeadersTtlNs?: bigint;
  telemetryEmitterBatchProcessor?: boolean;
  telemetryEmitterExportTimeoutNs?: bigint;
  telemetryEmitterExportIntervalNs?: bigint;
  telemetryEmitterExportMaxBatchSize?: number;
  telemetryEmitterMaxQueueSize?: number;
  telemetryLogStreamingEnabled?: boolean;
  /** zap level name; Go emits `info` for the zero value. */
  telemetryLogLevel?: string;
  telemetryLogBatchProcessor?: boolean;
  telemetryLogExportTimeoutNs?: bigint;
  telemetryLogExportMaxBatchSize?: number;
  telemetryLogExportIntervalNs?: bigint;
  telemetryLogMaxQueueSize?: number;
  telemetryTraceCompressor?: string;
  telemetryMetricCompressor?: string;
  telemetryLogCompressor?: string;
  chipIngressEndpoint?: string;
  chipIngressInsecureConnection?: boolean;
  creSettings?: string;
  creSettingsDefault?: string;
}

const d = (v: bigint | undefined) => formatGoDuration(v ?? 0n);
const b = (v: boolean | undefined) => String(v ?? false);
const n = (v: number | undefined) => String(v ?? 0);
const f = (v: number | undefined) => formatGoFloat(v ?? 0);

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest exact digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Object.is(v, -0)) return "-0";
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, first, rest = "", exp] = m;
  const digits = first + rest;
  const point = 1 + Number(exp); // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * `AsCmdEnv`: every variable, zero values included, in Go's order. Only the
 * database group (when a URL is set) and the CRE settings (when non-empty) are
 * conditional, as in Go.
 */
export function envConfigToCmdEnv(e: EnvConfig = {}): Array<[string, string]> {
  const env: Array<[string, string]> = [];
  const add = (k: string, v: string) => env.push([k, v]);
  add(CL.APP_ID, e.appId ?? "");
  if (e.database) {
    const db = e.database;
    add(CL.DATABASE_URL, db.url);
    add(CL.DATABASE_IDLE_IN_TX_SESSION_TIMEOUT, d(db.idleInTxSessionTimeoutNs));
    add(CL.DATABASE_LOCK_TIMEOUT, d(db.lockTimeoutNs));
    add(CL.DATABASE_QUERY_TIMEOUT, d(db.queryTimeoutNs));
    add(CL.DATABASE_LISTNER_FALLBACK_POLL_INTERVAL, d(db.listenerFallbackPollIntervalNs));
    add(CL.DATABASE_LOG_SQL, b(db.logSql));
    add(CL.DATABASE_MAX_OPEN_CONNS, n(db.maxOpenConns));
    add(CL.DATABASE_MAX_IDLE_CONNS, n(db.maxIdleConns));
    add(CL.DATABASE_TRACING_ENABLED, b(db.tracingEnabled));
  }
  add(CL.FEATURE_LOG_POLLER, b(e.featureLogPoller));
  add(CL.GRPC_SERVER_MAX_RECV_MSG_SIZE, n(e.grpcServerMaxRecvMsgSize));
  add(CL.MERCURY_CACHE_LATEST_REPORT_DEADLINE, d(e.mercuryCacheLatestReportDeadlineNs));
  add(CL.MERCURY_CACHE_LATEST_REPORT_TTL, d(e.mercuryCacheLatestReportTtlNs));
  add(CL.MERCURY_CACHE_MAX_STALE_AGE, d(e.mercuryCacheMaxStaleAgeNs));
  add(CL.MERCURY_TRANSMITTER_PROTOCOL, e.mercuryTransmitterProtocol ?? "");
  add(CL.MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE, n(e.mercuryTransmitterTransmitQueueMaxSize));
  add(CL.MERCURY_TRANSMITTER_TRANSMIT_TIMEOUT, d(e.mercuryTransmitterTransmitTimeoutNs));
  add(CL.MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY, n(e.mercuryTransmitterTransmitConcurrency));
  add(CL.MERCURY_TRANSMITTER_REAPER_FREQUENCY, d(e.mercuryTransmitterReaperFrequencyNs));
  add(CL.MERCURY_TRANSMITTER_REAPER_MAX_AGE, d(e.mercuryTransmitterReaperMaxAgeNs));
  add(CL.MERCURY_VERBOSE_LOGGING, b(e.mercuryVerboseLogging));
  add(CL.PROMETHEUS_PORT, n(e.prometheusPort));
  add(CL.TRACING_ENABLED, b(e.tracingEnabled));
  add(CL.TRACING_COLLECTOR_TARGET, e.tracingCollectorTarget ?? "");
  add(CL.TRACING_SAMPLING_RATIO, f(e.tracingSamplingRatio));
  add(CL.TRACING_TLS_CERT_PATH, e.tracingTlsCertPath ?? "");
  for (const [k, v] of Object.entries(e.tracingAttributes ?? {})) add(`${CL.TRACING_ATTRIBUTE_}${k}`, v);
  add(CL.TELEMETRY_ENABLED, b(e.telemetryEnabled));
  add(CL.TELEMETRY_ENDPOINT, e.telemetryEndpoint ?? "");
  add(CL.TELEMETRY_INSECURE_CONNECTION, b(e.telemetryInsecureConnection));
  add(CL.TELEMETRY_CA_CERT_FILE, e.telemetryCaCertFile ?? "");
  add(CL.TELEMETRY_TRACE_SAMPLE_RATIO, f(e.telemetryTraceSampleRatio));
  for (const [k, v] of Object.entries(e.telemetryAttributes ?? {})) add(`${CL.TELEMETRY_ATTRIBUTE_}${k}`, v);
  for (const [k, v] of Object.entries(e.telemetryAuthHeaders ?? {})) add(`${CL.TELEMETRY_AUTH_HEADER}${k}`, v);
  add(CL.TELEMETRY_AUTH_PUB_KEY_HEX, e.telemetryAuthPubKeyHex ?? "");
  add(CL.TELEMETRY_AUTH_HEADERS_TTL, d(e.telemetryAuthHeadersTtlNs));
  add(CL.TELEMETRY_EMITTER_BATCH_PROCESSOR, b(e.telemetryEmitterBatchProcessor));
  add(CL.TELEMETRY_EMITTER_EXPORT_TIMEOUT, d(e.telemetryEmitterExportTimeoutNs));
  add(CL.TELEMETRY_EMITTER_EXPORT_INTERVAL, d(e.telemetryEmitterExportIntervalNs));
  add(CL.TELEMETRY_EMITTER_EXPORT_MAX_BATCH_SIZE, n(e.telemetryEmitterExportMaxBatchSize));
  add(CL.TELEMETRY_EMITTER_MAX_QUEUE_SIZE, n(e.telemetryEmitterMaxQueueSize));
  add(CL.TELEMETRY_LOG_STREAMING_ENABLED, b(e.telemetryLogStreamingEnabled));
  add(CL.TELEMETRY_LOG_LEVEL, e.telemetryLogLevel ?? "info");
  add(CL.TELEMETRY_LOG_BATCH_PROCESSOR, b(e.telemetryLogBatchProcessor));
  add(CL.TELEMETRY_LOG_EXPORT_TIMEOUT, d(e.telemetryLogExportTimeoutNs));
  add(CL.TELEMETRY_LOG_EXPORT_MAX_BATCH_SIZE, n(e.telemetryLogExportMaxBatchSize));
  add(CL.TELEMETRY_LOG_EXPORT_INTERVAL, d(e.telemetryLogExportIntervalNs));
  add(CL.TELEMETRY_LOG_MAX_QUEUE_SIZE, n(e.telemetryLogMaxQueueSize));
  add(CL.TELEMETRY_TRACE_COMPRESSOR, e.telemetryTraceCompressor ?? "");
  add(CL.TELEMETRY_METRIC_COMPRESSOR, e.telemetryMetricCompressor ?? "");
  add(CL.TELEMETRY_LOG_COMPRESSOR, e.telemetryLogCompressor ?? "");
  add(CL.CHIP_INGRESS_ENDPOINT, e.chipIngressEndpoint ?? "");
  add(CL.CHIP_INGRESS_INSECURE_CONNECTION, b(e.chipIngressInsecureConnection));
  if (e.creSettings) add(CL.CRE_SETTINGS, e.creSettings);
  if (e.creSettingsDefault) add(CL.CRE_SETTINGS_DEFAULT, e.creSettingsDefault);
  return env;
}

/** Raised when a plugin's environment breaks the LOOP contract; the text follows Go's. */
export class EnvConfigError extends Error {
  override readonly name = "EnvConfigError";
  /** Go's own text, which does not always name the variable (what a Go plugin prints). */
  readonly goMessage: string;
  constructor(
    readonly variable: string,
    message: string,
    goText: string = message,
  ) {
    super(`error getting environment configuration: ${message}`);
    this.goMessage = `error getting environment configuration: ${goText}`;
  }
}

/** Go's strconv.Quote for the strings these errors show. */
function quote(s: string): string {
  const named: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (named[ch]) out += named[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A failure carrying Go's error text, before any wrapping. */
class GoError extends Error {}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** strconv.ParseBool */
function goParseBool(s: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  throw new GoError(`strconv.ParseBool: parsing ${quote(s)}: invalid syntax`);
}

/** strconv.Atoi on a 64-bit platform. */
function goAtoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new GoError(`strconv.Atoi: parsing ${quote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) throw new GoError(`strconv.Atoi: parsing ${quote(s)}: value out of range`);
  return Number(v);
}

/** strconv.ParseUint(s, 10, 32) */
function goParseUint32(s: string): number {
  if (!/^\d+$/.test(s)) throw new GoError(`strconv.ParseUint: parsing ${quote(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > 0xffffffffn) throw new GoError(`strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  return Number(v);
}

/** strconv.ParseFloat(s, 64), or 0 on any error (Go's getFloat64OrZero; out of range included). */
function goFloatOrZero(s: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === "nan") return special[1] ? 0 : NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  let v: number;
  const dec = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (dec.test(s)) v = Number(s);
  else if (hex && (hex[2] || hex[3])) {
    const frac = hex[3] ?? "";
    v = parseInt(`${hex[2]}${frac}` || "0", 16) * 2 ** (Number(hex[4]) - 4 * frac.length);
    if (hex[1] === "-") v = -v;
  } else return 0;
  return Number.isFinite(v) ? v : 0;
}

/**
 * url.ParseRequestURI's checks as far as a collector target needs them:
 * control characters, empty, missing scheme, and neither a scheme nor an
 * absolute path. Returns Go's error text (without the `parse "…": ` prefix) or undefined.
 */
function requestUriError(s: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(s)) return "net/url: invalid control character in URL";
  if (s === "") return "empty url";
  if (s.startsWith(":")) return "missing protocol scheme";
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s);
  if (!scheme && !s.startsWith("/")) return "invalid URI for request";
  return undefined;
}

/**
 * The plugin side: reads the variables in Go's order with Go's rules
 * (loop.EnvConfig's parser in chainlink-common v0.11.1). Failures carry Go's
 * error text; where Go's text does not name the variable, it is prefixed with
 * `NAME: ` (so a missing CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE reads
 * `…: CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE: strconv.ParseUint:
 * parsing "": invalid syntax`). The database URL is taken as given: Go's
 * url.Parse checks are not reproduced.
 */
export function parseEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const get = (k: string) => env[k] ?? "";
  /** Go's error text for `k`, wrapped as Go wraps it, naming `k` if Go's text does not. */
  const fail = (k: string, goText: string): never => {
    throw new EnvConfigError(k, goText.includes(k) ? goText : `${k}: ${goText}`, goText);
  };
  /** Runs a parser; a GoError becomes `wrap(text)` (Go's wrapping at that call site). */
  const read = <T>(k: string, parse: (s: string) => T, wrap: (text: string) => string = (t) => t): T => {
    try {
      return parse(get(k));
    } catch (err) {
      if (!(err instanceof GoError) && !(err instanceof Error && err.message.startsWith("time: "))) throw err;
      return fail(k, wrap(err.message));
    }
  };
  const bool = (s: string) => (s === "" ? false : goParseBool(s));
  const int = (s: string) => (s === "" ? 0 : goAtoi(s));
  const dur = (s: string) => (s === "" ? 0n : parseGoDuration(s));
  const float0 = (s: string) => (s === "" ? 0 : goFloatOrZero(s));
  /** Go's wrapping in the telemetry section: `failed to parse NAME: …` (one site names the endpoint variable). */
  const wrapAs = (name: string) => (t: string) => `failed to parse ${name}: ${t}`;
  const prefixed = (p: string) =>
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v ?? ""]));

  const e: EnvConfig = { appId: get(CL.APP_ID) };
  const url = get(CL.DATABASE_URL);
  if (url) {
    e.database = {
      url,
      idleInTxSessionTimeoutNs: read(CL.DATABASE_IDLE_IN_TX_SESSION_TIMEOUT, dur),
      lockTimeoutNs: read(CL.DATABASE_LOCK_TIMEOUT, dur),
      queryTimeoutNs: read(CL.DATABASE_QUERY_TIMEOUT, dur),
      listenerFallbackPollIntervalNs: read(CL.DATABASE_LISTNER_FALLBACK_POLL_INTERVAL, dur),
      logSql: read(CL.DATABASE_LOG_SQL, bool),
      maxOpenConns: read(CL.DATABASE_MAX_OPEN_CONNS, int),
      maxIdleConns: read(CL.DATABASE_MAX_IDLE_CONNS, int),
      tracingEnabled: read(CL.DATABASE_TRACING_ENABLED, bool),
    };
  }
  e.featureLogPoller = read(CL.FEATURE_LOG_POLLER, bool);
  e.grpcServerMaxRecvMsgSize = read(CL.GRPC_SERVER_MAX_RECV_MSG_SIZE, int);
  e.mercuryCacheLatestReportDeadlineNs = read(CL.MERCURY_CACHE_LATEST_REPORT_DEADLINE, dur);
  e.mercuryCacheLatestReportTtlNs = read(CL.MERCURY_CACHE_LATEST_REPORT_TTL, dur);
  e.mercuryCacheMaxStaleAgeNs = read(CL.MERCURY_CACHE_MAX_STALE_AGE, dur);
  e.mercuryTransmitterProtocol = get(CL.MERCURY_TRANSMITTER_PROTOCOL);
  e.mercuryTransmitterTransmitQueueMaxSize = read(CL.MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE, goParseUint32);
  e.mercuryTransmitterTransmitTimeoutNs = read(CL.MERCURY_TRANSMITTER_TRANSMIT_TIMEOUT, dur);
  e.mercuryTransmitterTransmitConcurrency = read(CL.MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY, goParseUint32);
  e.mercuryTransmitterReaperFrequencyNs = read(CL.MERCURY_TRANSMITTER_REAPER_FREQUENCY, dur);
  e.mercuryTransmitterReaperMaxAgeNs = read(CL.MERCURY_TRANSMITTER_REAPER_MAX_AGE, dur);
  e.mercuryVerboseLogging = read(CL.MERCURY_VERBOSE_LOGGING, bool);
  const prom = get(CL.PROMETHEUS_PORT);
  e.prometheusPort = read(CL.PROMETHEUS_PORT, goAtoi, (t) => `failed to parse ${CL.PROMETHEUS_PORT} = ${quote(prom)}: ${t}`);
  e.tracingEnabled = read(CL.TRACING_ENABLED, bool, wrapAs(CL.TRACING_ENABLED));
  if (e.tracingEnabled) {
    const target = get(CL.TRACING_COLLECTOR_TARGET);
    const bad = requestUriError(target);
    if (bad) fail(CL.TRACING_COLLECTOR_TARGET, `invalid ${CL.TRACING_COLLECTOR_TARGET}: parse ${quote(target)}: ${bad}`);
    e.tracingCollectorTarget = target;
    e.tracingAttributes = prefixed(CL.TRACING_ATTRIBUTE_);
    e.tracingSamplingRatio = float0(get(CL.TRACING_SAMPLING_RATIO));
    e.tracingTlsCertPath = get(CL.TRACING_TLS_CERT_PATH);
  }
  e.telemetryEnabled = read(CL.TELEMETRY_ENABLED, bool, wrapAs(CL.TELEMETRY_ENABLED));
  if (e.telemetryEnabled) {
    const t = <T>(k: string, parse: (s: string) => T, name = k) => read(k, parse, wrapAs(name));
    e.telemetryEndpoint = get(CL.TELEMETRY_ENDPOINT);
    // Go names the endpoint variable when the insecure flag is malformed.
    e.telemetryInsecureConnection = t(CL.TELEMETRY_INSECURE_CONNECTION, bool, CL.TELEMETRY_ENDPOINT);
    e.telemetryCaCertFile = get(CL.TELEMETRY_CA_CERT_FILE);
    e.telemetryAttributes = prefixed(CL.TELEMETRY_ATTRIBUTE_);
    e.telemetryTraceSampleRatio = float0(get(CL.TELEMETRY_TRACE_SAMPLE_RATIO));
    e.telemetryAuthHeaders = prefixed(CL.TELEMETRY_AUTH_HEADER);
    e.telemetryAuthPubKeyHex = get(CL.TELEMETRY_AUTH_PUB_KEY_HEX);
    e.telemetryAuthHeadersTtlNs = t(CL.TELEMETRY_AUTH_HEADERS_TTL, dur);
    e.telemetryEmitterBatchProcessor = t(CL.TELEMETRY_EMITTER_BATCH_PROCESSOR, bool);
    e.telemetryEmitterExportTimeoutNs = t(CL.TELEMETRY_EMITTER_EXPORT_TIMEOUT, dur);
    e.telemetryEmitterExportIntervalNs = t(CL.TELEMETRY_EMITTER_EXPORT_INTERVAL, dur);
    e.telemetryEmitterExportMaxBatchSize = t(CL.TELEMETRY_EMITTER_EXPORT_MAX_BATCH_SIZE, int);
    e.telemetryEmitterMaxQueueSize = t(CL.TELEMETRY_EMITTER_MAX_QUEUE_SIZE, int);
    e.telemetryLogStreamingEnabled = t(CL.TELEMETRY_LOG_STREAMING_ENABLED, bool);
    e.telemetryLogLevel = zapLevel(get(CL.TELEMETRY_LOG_LEVEL));
    e.telemetryLogBatchProcessor = t(CL.TELEMETRY_LOG_BATCH_PROCESSOR, bool);
    e.telemetryLogExportTimeoutNs = t(CL.TELEMETRY_LOG_EXPORT_TIMEOUT, dur);
    e.telemetryLogExportMaxBatchSize = t(CL.TELEMETRY_LOG_EXPORT_MAX_BATCH_SIZE, int);
    e.telemetryLogExportIntervalNs = t(CL.TELEMETRY_LOG_EXPORT_INTERVAL, dur);
    e.telemetryLogMaxQueueSize = t(CL.TELEMETRY_LOG_MAX_QUEUE_SIZE, int);
    e.telemetryTraceCompressor = get(CL.TELEMETRY_TRACE_COMPRESSOR);
    e.telemetryMetricCompressor = get(CL.TELEMETRY_METRIC_COMPRESSOR);
    e.telemetryLogCompressor = get(CL.TELEMETRY_LOG_COMPRESSOR);
    e.chipIngressEndpoint = get(CL.CHIP_INGRESS_ENDPOINT);
    e.chipIngressInsecureConnection = t(CL.CHIP_INGRESS_INSECURE_CONNECTION, bool);
  }
  e.creSettings = get(CL.CRE_SETTINGS);
  e.creSettingsDefault = get(CL.CRE_SETTINGS_DEFAULT);
  return e;
}

/** zap's level names, matched as zapcore.Level.Set does; anything else is info, as in Go. */
function zapLevel(s: string): string {
  const names: Record<string, string> = {
    debug: "debug", info: "info", "": "info", warn: "warn", warning: "warn",
    error: "error", dpanic: "dpanic", panic: "panic", fatal: "fatal",
  };
  return names[s] ?? names[s.toLowerCase()] ?? "info";
}
