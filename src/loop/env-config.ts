import { formatGoDuration, parseGoDuration } from "./go-duration.js";

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
const f = (v: number | undefined) => String(v ?? 0);

/**
 * `AsCmdEnv`: every variable, zero values included, in Go's order. Only the
 * database group (when a URL is set) and the CRE settings (when non-empty) are
 * conditional, as in Go.
 */
export function envConfigToCmdEnv(e: EnvConfig = {}): Array<[string, string]> {
  const env: Array<[string, string]> = [];
  const add = (k: string, v: string) => env.push([k, v]);
  add("CL_APP_ID", e.appId ?? "");
  if (e.database) {
    const db = e.database;
    add("CL_DATABASE_URL", db.url);
    add("CL_DATABASE_IDLE_IN_TX_SESSION_TIMEOUT", d(db.idleInTxSessionTimeoutNs));
    add("CL_DATABASE_LOCK_TIMEOUT", d(db.lockTimeoutNs));
    add("CL_DATABASE_QUERY_TIMEOUT", d(db.queryTimeoutNs));
    add("CL_DATABASE_LISTNER_FALLBACK_POLL_INTERVAL", d(db.listenerFallbackPollIntervalNs));
    add("CL_DATABASE_LOG_SQL", b(db.logSql));
    add("CL_DATABASE_MAX_OPEN_CONNS", n(db.maxOpenConns));
    add("CL_DATABASE_MAX_IDLE_CONNS", n(db.maxIdleConns));
    add("CL_DATABASE_TRACING_ENABLED", b(db.tracingEnabled));
  }
  add("CL_FEATURE_LOG_POLLER", b(e.featureLogPoller));
  add("CL_GRPC_SERVER_MAX_RECV_MSG_SIZE", n(e.grpcServerMaxRecvMsgSize));
  add("CL_MERCURY_CACHE_LATEST_REPORT_DEADLINE", d(e.mercuryCacheLatestReportDeadlineNs));
  add("CL_MERCURY_CACHE_LATEST_REPORT_TTL", d(e.mercuryCacheLatestReportTtlNs));
  add("CL_MERCURY_CACHE_MAX_STALE_AGE", d(e.mercuryCacheMaxStaleAgeNs));
  add("CL_MERCURY_TRANSMITTER_PROTOCOL", e.mercuryTransmitterProtocol ?? "");
  add("CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE", n(e.mercuryTransmitterTransmitQueueMaxSize));
  add("CL_MERCURY_TRANSMITTER_TRANSMIT_TIMEOUT", d(e.mercuryTransmitterTransmitTimeoutNs));
  add("CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY", n(e.mercuryTransmitterTransmitConcurrency));
  add("CL_MERCURY_TRANSMITTER_REAPER_FREQUENCY", d(e.mercuryTransmitterReaperFrequencyNs));
  add("CL_MERCURY_TRANSMITTER_REAPER_MAX_AGE", d(e.mercuryTransmitterReaperMaxAgeNs));
  add("CL_MERCURY_VERBOSE_LOGGING", b(e.mercuryVerboseLogging));
  add("CL_PROMETHEUS_PORT", n(e.prometheusPort));
  add("CL_TRACING_ENABLED", b(e.tracingEnabled));
  add("CL_TRACING_COLLECTOR_TARGET", e.tracingCollectorTarget ?? "");
  add("CL_TRACING_SAMPLING_RATIO", f(e.tracingSamplingRatio));
  add("CL_TRACING_TLS_CERT_PATH", e.tracingTlsCertPath ?? "");
  for (const [k, v] of Object.entries(e.tracingAttributes ?? {})) add(`CL_TRACING_ATTRIBUTE_${k}`, v);
  add("CL_TELEMETRY_ENABLED", b(e.telemetryEnabled));
  add("CL_TELEMETRY_ENDPOINT", e.telemetryEndpoint ?? "");
  add("CL_TELEMETRY_INSECURE_CONNECTION", b(e.telemetryInsecureConnection));
  add("CL_TELEMETRY_CA_CERT_FILE", e.telemetryCaCertFile ?? "");
  add("CL_TELEMETRY_TRACE_SAMPLE_RATIO", f(e.telemetryTraceSampleRatio));
  for (const [k, v] of Object.entries(e.telemetryAttributes ?? {})) add(`CL_TELEMETRY_ATTRIBUTE_${k}`, v);
  for (const [k, v] of Object.entries(e.telemetryAuthHeaders ?? {})) add(`CL_TELEMETRY_AUTH_HEADER${k}`, v);
  add("CL_TELEMETRY_AUTH_PUB_KEY_HEX", e.telemetryAuthPubKeyHex ?? "");
  add("CL_TELEMETRY_AUTH_HEADERS_TTL", d(e.telemetryAuthHeadersTtlNs));
  add("CL_TELEMETRY_EMITTER_BATCH_PROCESSOR", b(e.telemetryEmitterBatchProcessor));
  add("CL_TELEMETRY_EMITTER_EXPORT_TIMEOUT", d(e.telemetryEmitterExportTimeoutNs));
  add("CL_TELEMETRY_EMITTER_EXPORT_INTERVAL", d(e.telemetryEmitterExportIntervalNs));
  add("CL_TELEMETRY_EMITTER_EXPORT_MAX_BATCH_SIZE", n(e.telemetryEmitterExportMaxBatchSize));
  add("CL_TELEMETRY_EMITTER_MAX_QUEUE_SIZE", n(e.telemetryEmitterMaxQueueSize));
  add("CL_TELEMETRY_LOG_STREAMING_ENABLED", b(e.telemetryLogStreamingEnabled));
  add("CL_TELEMETRY_LOG_LEVEL", e.telemetryLogLevel ?? "info");
  add("CL_TELEMETRY_LOG_BATCH_PROCESSOR", b(e.telemetryLogBatchProcessor));
  add("CL_TELEMETRY_LOG_EXPORT_TIMEOUT", d(e.telemetryLogExportTimeoutNs));
  add("CL_TELEMETRY_LOG_EXPORT_MAX_BATCH_SIZE", n(e.telemetryLogExportMaxBatchSize));
  add("CL_TELEMETRY_LOG_EXPORT_INTERVAL", d(e.telemetryLogExportIntervalNs));
  add("CL_TELEMETRY_LOG_MAX_QUEUE_SIZE", n(e.telemetryLogMaxQueueSize));
  add("CL_TELEMETRY_TRACE_COMPRESSOR", e.telemetryTraceCompressor ?? "");
  add("CL_TELEMETRY_METRIC_COMPRESSOR", e.telemetryMetricCompressor ?? "");
  add("CL_TELEMETRY_LOG_COMPRESSOR", e.telemetryLogCompressor ?? "");
  add("CL_CHIP_INGRESS_ENDPOINT", e.chipIngressEndpoint ?? "");
  add("CL_CHIP_INGRESS_INSECURE_CONNECTION", b(e.chipIngressInsecureConnection));
  if (e.creSettings) add("CL_CRE_SETTINGS", e.creSettings);
  if (e.creSettingsDefault) add("CL_CRE_SETTINGS_DEFAULT", e.creSettingsDefault);
  return env;
}

/** Raised when a plugin's environment breaks the LOOP contract; the text follows Go's. */
export class EnvConfigError extends Error {
  override readonly name = "EnvConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`error getting environment configuration: ${message}`);
  }
}

/**
 * The plugin side: reads the variables in Go's order with Go's rules. Missing
 * CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE, …_TRANSMIT_CONCURRENCY or
 * CL_PROMETHEUS_PORT fail as they do in Go; the error also names the variable.
 */
export function parseEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const get = (k: string) => env[k] ?? "";
  const fail = (k: string, msg: string): never => {
    throw new EnvConfigError(k, msg);
  };
  const bool = (k: string) => {
    const s = get(k);
    if (s === "") return false;
    if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
    return fail(k, `${k}: strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
  };
  const int = (k: string) => {
    const s = get(k);
    if (s === "") return 0;
    if (!/^[+-]?\d+$/.test(s)) return fail(k, `${k}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
    return Number(s);
  };
  const uint32 = (k: string) => {
    const s = get(k);
    if (!/^\d+$/.test(s)) return fail(k, `${k}: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
    const v = Number(s);
    if (v > 0xffffffff) return fail(k, `${k}: strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
    return v;
  };
  const dur = (k: string) => {
    const s = get(k);
    if (s === "") return 0n;
    try {
      return parseGoDuration(s);
    } catch (err) {
      return fail(k, `${k}: ${(err as Error).message}`);
    }
  };
  const float0 = (k: string) => {
    const v = Number(get(k));
    return get(k) === "" || Number.isNaN(v) ? 0 : v;
  };
  const prefixed = (p: string) =>
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v ?? ""]));

  const e: EnvConfig = { appId: get("CL_APP_ID") };
  const url = get("CL_DATABASE_URL");
  if (url) {
    e.database = {
      url,
      idleInTxSessionTimeoutNs: dur("CL_DATABASE_IDLE_IN_TX_SESSION_TIMEOUT"),
      lockTimeoutNs: dur("CL_DATABASE_LOCK_TIMEOUT"),
      queryTimeoutNs: dur("CL_DATABASE_QUERY_TIMEOUT"),
      listenerFallbackPollIntervalNs: dur("CL_DATABASE_LISTNER_FALLBACK_POLL_INTERVAL"),
      logSql: bool("CL_DATABASE_LOG_SQL"),
      maxOpenConns: int("CL_DATABASE_MAX_OPEN_CONNS"),
      maxIdleConns: int("CL_DATABASE_MAX_IDLE_CONNS"),
      tracingEnabled: bool("CL_DATABASE_TRACING_ENABLED"),
    };
  }
  e.featureLogPoller = bool("CL_FEATURE_LOG_POLLER");
  e.grpcServerMaxRecvMsgSize = int("CL_GRPC_SERVER_MAX_RECV_MSG_SIZE");
  e.mercuryCacheLatestReportDeadlineNs = dur("CL_MERCURY_CACHE_LATEST_REPORT_DEADLINE");
  e.mercuryCacheLatestReportTtlNs = dur("CL_MERCURY_CACHE_LATEST_REPORT_TTL");
  e.mercuryCacheMaxStaleAgeNs = dur("CL_MERCURY_CACHE_MAX_STALE_AGE");
  e.mercuryTransmitterProtocol = get("CL_MERCURY_TRANSMITTER_PROTOCOL");
  e.mercuryTransmitterTransmitQueueMaxSize = uint32("CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE");
  e.mercuryTransmitterTransmitTimeoutNs = dur("CL_MERCURY_TRANSMITTER_TRANSMIT_TIMEOUT");
  e.mercuryTransmitterTransmitConcurrency = uint32("CL_MERCURY_TRANSMITTER_TRANSMIT_CONCURRENCY");
  e.mercuryTransmitterReaperFrequencyNs = dur("CL_MERCURY_TRANSMITTER_REAPER_FREQUENCY");
  e.mercuryTransmitterReaperMaxAgeNs = dur("CL_MERCURY_TRANSMITTER_REAPER_MAX_AGE");
  e.mercuryVerboseLogging = bool("CL_MERCURY_VERBOSE_LOGGING");
  const prom = get("CL_PROMETHEUS_PORT");
  if (!/^[+-]?\d+$/.test(prom)) {
    fail("CL_PROMETHEUS_PORT", `failed to parse CL_PROMETHEUS_PORT = ${JSON.stringify(prom)}: strconv.Atoi: parsing ${JSON.stringify(prom)}: invalid syntax`);
  }
  e.prometheusPort = Number(prom);
  e.tracingEnabled = bool("CL_TRACING_ENABLED");
  if (e.tracingEnabled) {
    const target = get("CL_TRACING_COLLECTOR_TARGET");
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:|^\//.test(target)) fail("CL_TRACING_COLLECTOR_TARGET", `invalid CL_TRACING_COLLECTOR_TARGET: parse ${JSON.stringify(target)}: invalid URI for request`);
    e.tracingCollectorTarget = target;
    e.tracingAttributes = prefixed("CL_TRACING_ATTRIBUTE_");
    e.tracingSamplingRatio = float0("CL_TRACING_SAMPLING_RATIO");
    e.tracingTlsCertPath = get("CL_TRACING_TLS_CERT_PATH");
  }
  e.telemetryEnabled = bool("CL_TELEMETRY_ENABLED");
  if (e.telemetryEnabled) {
    e.telemetryEndpoint = get("CL_TELEMETRY_ENDPOINT");
    e.telemetryInsecureConnection = bool("CL_TELEMETRY_INSECURE_CONNECTION");
    e.telemetryCaCertFile = get("CL_TELEMETRY_CA_CERT_FILE");
    e.telemetryAttributes = prefixed("CL_TELEMETRY_ATTRIBUTE_");
    e.telemetryTraceSampleRatio = float0("CL_TELEMETRY_TRACE_SAMPLE_RATIO");
    e.telemetryAuthHeaders = prefixed("CL_TELEMETRY_AUTH_HEADER");
    e.telemetryAuthPubKeyHex = get("CL_TELEMETRY_AUTH_PUB_KEY_HEX");
    e.telemetryAuthHeadersTtlNs = dur("CL_TELEMETRY_AUTH_HEADERS_TTL");
    e.telemetryEmitterBatchProcessor = bool("CL_TELEMETRY_EMITTER_BATCH_PROCESSOR");
    e.telemetryEmitterExportTimeoutNs = dur("CL_TELEMETRY_EMITTER_EXPORT_TIMEOUT");
    e.telemetryEmitterExportIntervalNs = dur("CL_TELEMETRY_EMITTER_EXPORT_INTERVAL");
    e.telemetryEmitterExportMaxBatchSize = int("CL_TELEMETRY_EMITTER_EXPORT_MAX_BATCH_SIZE");
    e.telemetryEmitterMaxQueueSize = int("CL_TELEMETRY_EMITTER_MAX_QUEUE_SIZE");
    e.telemetryLogStreamingEnabled = bool("CL_TELEMETRY_LOG_STREAMING_ENABLED");
    const lvl = get("CL_TELEMETRY_LOG_LEVEL").toLowerCase();
    e.telemetryLogLevel = ["debug", "info", "warn", "error", "dpanic", "panic", "fatal"].includes(lvl) ? lvl : "info";
    e.telemetryLogBatchProcessor = bool("CL_TELEMETRY_LOG_BATCH_PROCESSOR");
    e.telemetryLogExportTimeoutNs = dur("CL_TELEMETRY_LOG_EXPORT_TIMEOUT");
    e.telemetryLogExportMaxBatchSize = int("CL_TELEMETRY_LOG_EXPORT_MAX_BATCH_SIZE");
    e.telemetryLogExportIntervalNs = dur("CL_TELEMETRY_LOG_EXPORT_INTERVAL");
    e.telemetryLogMaxQueueSize = int("CL_TELEMETRY_LOG_MAX_QUEUE_SIZE");
    e.telemetryTraceCompressor = get("CL_TELEMETRY_TRACE_COMPRESSOR");
    e.telemetryMetricCompressor = get("CL_TELEMETRY_METRIC_COMPRESSOR");
    e.telemetryLogCompressor = get("CL_TELEMETRY_LOG_COMPRESSOR");
    e.chipIngressEndpoint = get("CL_CHIP_INGRESS_ENDPOINT");
    e.chipIngressInsecureConnection = bool("CL_CHIP_INGRESS_INSECURE_CONNECTION");
  }
  e.creSettings = get("CL_CRE_SETTINGS");
  e.creSettingsDefault = get("CL_CRE_SETTINGS_DEFAULT");
  return e;
}
