/**
 * serveLoop's tracing, chainlink-common's SetupTracing for a TS plugin: when
 * CL_TRACING_ENABLED is true (and no CL_TELEMETRY_ENDPOINT takes over, as in
 * Go), a server span per gRPC call the plugin serves and a client span per
 * call it makes on its brokered connections (a child of the handler's span), sampled
 * ParentBased(TraceIDRatioBased(CL_TRACING_SAMPLING_RATIO)), batched and
 * exported over OTLP/gRPC to CL_TRACING_COLLECTOR_TARGET, with TLS when
 * CL_TRACING_TLS_CERT_PATH names a CA file. The resource carries what Go's
 * does: service.name (the program), service.version, process.pid, every
 * CL_TRACING_ATTRIBUTE_* and service.instance.id = CL_APP_ID.
 */
import { readFileSync } from "node:fs";
import { createClient } from "../../rpc/client.js";
import { H2Channel } from "../../rpc/h2-channel.js";
import { Code } from "../../rpc/status.js";
import type { CallObserver } from "../../rpc/observe.js";
import { LIBRARY_VERSION } from "../../rpc/user-agent.js";
import { TraceService } from "../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import type { EnvConfig } from "../env-config.js";
import { BatchProcessor } from "./batch.js";
import { collectorAddr } from "./collector-target.js";
import { splitHostPort } from "../../rpc/net-addr.js";
import { ActiveSpan } from "./active-span.js";
import { ClientSpans, ServerSpans, type AttributeValue, type FinishedSpan } from "./grpc-spans.js";
import { exportRequest } from "./otlp.js";
import { parentBasedSampler, traceIdRatioSampler } from "./sampler.js";

/** The schema of the resource attributes (semconv v1.17.0, which chainlink-common's telem.go uses). */
export const RESOURCE_SCHEMA_URL = "https://opentelemetry.io/schemas/1.17.0";
/** The instrumentation scope of the spans: this library (a Go plugin names otelgrpc's). */
export const TRACING_SCOPE = { name: "go-plugin-ts", version: LIBRARY_VERSION };
/** Per export call, otlptracegrpc's default timeout. */
const EXPORT_CALL_MS = 10_000;

/** What Go's build package reports about the program (service.name, service.version). */
export interface BuildInfo {
  /** Default: the script or executable path (Go falls back to os.Args[0]). */
  program?: string;
  /** Default "unset", Go's build.Unset. */
  version?: string;
}

export interface Tracing {
  /** Observes the plugin's servers; add it to their callObservers. */
  observer: CallObserver;
  /** Observes the channels the plugin dials (its brokered clients); add it to their callObservers. */
  clientObserver: CallObserver;
  /** Exports what is queued (waiting at most `timeoutMs`) and closes the connection to the collector. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Tracing as configured by `env`, or undefined when it is off. Throws with
 * Go's text (`open PATH: no such file or directory`) when the CA file cannot
 * be read; export failures go to `onError` (Go's otel error handler logs them).
 */
export function setupTracing(env: EnvConfig, onError: (message: string) => void, build: BuildInfo = {}): Tracing | undefined {
  if (!env.tracingEnabled || env.telemetryEndpoint) return undefined;
  const addr = collectorAddr(env.tracingCollectorTarget ?? "");
  let ca: Buffer | undefined;
  if (env.tracingTlsCertPath) {
    try {
      ca = readFileSync(env.tracingTlsCertPath);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why: Record<string, string> = { ENOENT: "no such file or directory", EACCES: "permission denied", EISDIR: "is a directory" };
      throw new Error(`open ${env.tracingTlsCertPath}: ${(e.code && why[e.code]) || e.message}`);
    }
  }
  const channel = new H2Channel(addr, ca ? { tls: { ca, serverName: splitHostPort(addr.address).host } } : {});
  const client = createClient(TraceService, channel);
  const resource = {
    schemaUrl: RESOURCE_SCHEMA_URL,
    attributes: resourceAttributes(env, build),
  };
  const batches = new BatchProcessor<FinishedSpan>(
    async (spans, signal) => {
      const res = await client.export(exportRequest(resource, TRACING_SCOPE, spans), { signal, deadline: EXPORT_CALL_MS });
      const partial = res.partialSuccess;
      if (partial && (partial.rejectedSpans > 0n || partial.errorMessage)) {
        onError(`traces export: ${partial.rejectedSpans} spans rejected: ${partial.errorMessage}`);
      }
    },
    (err) => onError(`traces export: ${(err as Error).message}`),
  );
  const sample = parentBasedSampler(traceIdRatioSampler(env.tracingSamplingRatio ?? 0));
  const active = new ActiveSpan();
  const observer = new ServerSpans(sample, (s) => batches.add(s), active);
  const clientObserver = new ClientSpans(sample, (s) => batches.add(s), active);
  return {
    observer,
    clientObserver,
    shutdown: async (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([batches.shutdown(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      } finally {
        clearTimeout(timer);
        // Past the deadline nothing more is exported: what is queued goes, and an export still in flight
        // is failed now rather than left to run out its own timeout (close() alone would let it run).
        batches.abandon();
        channel.fail("tracing shut down", Code.CANCELLED);
        channel.close();
      }
    },
  };
}

/** Go's TracingConfig.Attributes() plus the node's attributes, sorted by key as an OpenTelemetry attribute set is. */
function resourceAttributes(env: EnvConfig, build: BuildInfo): Array<[string, AttributeValue]> {
  const attrs = new Map<string, AttributeValue>([
    ["service.name", build.program ?? process.argv[1] ?? process.argv0],
    ["process.pid", BigInt(process.pid)],
    ["service.version", build.version ?? "unset"],
  ]);
  for (const [k, v] of Object.entries(env.tracingAttributes ?? {})) attrs.set(k, v);
  attrs.set("service.instance.id", env.appId ?? "");
  return [...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
