import { writeSync } from "node:fs";
import type { Registry } from "prom-client";
import { serve, type ServeConfig } from "../../goplugin/serve.js";
import { HclogLogger, hclogTimestamp } from "../../goplugin/hclog.js";
import { LoopLogger } from "./logger.js";
import type { LogLevel } from "../../goplugin/logger.js";
import type { PluginSet } from "../../goplugin/plugin.js";
import type { CallObserver } from "../../rpc/observe.js";
import { EnvConfigError, parseEnvConfig, type EnvConfig } from "../env-config.js";
import { serveMetrics } from "../metrics.js";
import { GrpcClientMetrics, GrpcServerMetrics } from "../grpc-metrics.js";
import { setupTracing, type BuildInfo, type Tracing } from "../tracing/setup.js";

/** What the runtime has set up before the plugin's services are made. */
export interface LoopServer {
  /** Named after `ServeLoopConfig.name`. */
  logger: LoopLogger;
  /** The node's settings, parsed with Go's rules. */
  envConfig: EnvConfig;
  /** The Prometheus endpoint on CL_PROMETHEUS_PORT; register the plugin's metrics here. */
  metrics: { port: number; registry: Registry };
}

export interface ServeLoopConfig extends Omit<ServeConfig, "plugins" | "versionedPlugins" | "logger" | "maxRecvMsgSize"> {
  /** The logger name, as given to chainlink-common's loop.NewStartedServer; "" leaves it unnamed, like loop.NewLogger(). */
  name: string;
  /** Makes the plugin set once the environment, logger and metrics are ready. */
  plugins: (server: LoopServer) => PluginSet | Promise<PluginSet>;
  /** Lowest level written; `debug` like a Go LOOP plugin's logger. */
  logLevel?: LogLevel;
  /** The environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The program and version named in traces (service.name, service.version), like Go's build info. */
  build?: BuildInfo;
}

/**
 * Runs a LOOP plugin the way chainlink-common's `loop.NewStartedServer` and
 * `plugin.Serve` do in a Go plugin's main: reads the node's CL_* settings
 * (a bad value ends the process with status 1 and Go's text, before any
 * handshake), serves Prometheus metrics on CL_PROMETHEUS_PORT, counts every
 * call of the plugin's server and of its brokered servers in Go's grpc_server_*
 * metrics (`GrpcServerMetrics`) and every call on its brokered dials in
 * grpc_client_* (`GrpcClientMetrics`), traces the servers' calls when CL_TRACING_ENABLED is set
 * (server spans exported over OTLP, as Go's SetupTracing + otelgrpc), applies
 * the gRPC receive limit CL_GRPC_SERVER_MAX_RECV_MSG_SIZE to them, then serves
 * the plugin. Resolves when serving ends.
 */
export async function serveLoop(config: ServeLoopConfig): Promise<void> {
  const { name, plugins, logLevel, env, build, ...rest } = config;
  const out = new HclogLogger({ level: logLevel ?? "debug" });
  const logger = new LoopLogger(name, out);
  let envConfig: EnvConfig;
  let tracing: Tracing | undefined;
  let metrics: Awaited<ReturnType<typeof serveMetrics>>;
  try {
    envConfig = parseEnvConfig(env ?? process.env);
  } catch (err) {
    return fatal(name, `Failed to start server: ${err instanceof EnvConfigError ? err.goMessage : (err as Error).message}`);
  }
  try {
    tracing = setupTracing(envConfig, (message) => logger.error(message), build);
  } catch (err) {
    return fatal(name, `Failed to start server: failed to setup tracing: ${(err as Error).message}`);
  }
  try {
    metrics = await startMetrics(envConfig.prometheusPort ?? 0);
  } catch (err) {
    await tracing?.shutdown();
    return fatal(name, `Failed to start server: ${(err as Error).message}`);
  }
  if (envConfig.telemetryEndpoint) {
    // Go hands tracing to beholder when a telemetry endpoint is set; this runtime has no beholder client.
    logger.warn("CL_TELEMETRY_* are set, but this TypeScript runtime exports no beholder telemetry, nor traces in its place; ignoring them");
  }
  const maxRecv = envConfig.grpcServerMaxRecvMsgSize ?? 0;
  const limits = maxRecv > 0 ? { maxReceiveMessageLength: maxRecv } : {};
  // One set of series for all servers and one for all brokered dials, as Go's GRPCOpts shares them.
  const serverMetrics = new GrpcServerMetrics(metrics.registry);
  const clientMetrics = new GrpcClientMetrics(metrics.registry);
  // In Go's order: otelgrpc's stats handler, then the metrics interceptor.
  const observed = (o: { callObservers?: readonly CallObserver[] } | undefined) => [
    ...(o?.callObservers ?? []),
    ...(tracing ? [tracing.observer] : []),
    serverMetrics,
  ];
  const stop = async () => {
    await metrics.close();
    // Bounded: a host gives a plugin 2 s to exit after Shutdown before it kills it.
    await tracing?.shutdown(SHUTDOWN_FLUSH_MS);
  };
  let pluginSet: PluginSet;
  try {
    pluginSet = await plugins({ logger, envConfig, metrics });
  } catch (err) {
    await stop();
    return fatal(name, `Failed to create plugin: ${(err as Error).message}`);
  }
  try {
    await serve({
      ...rest,
      // Exit here instead, once the spans of the last calls (Shutdown's own) are exported.
      exitProcess: false,
      plugins: pluginSet,
      logger: out,
      ...(maxRecv > 0 ? { maxRecvMsgSize: maxRecv } : {}),
      serverOptions: { ...rest.serverOptions, callObservers: observed(rest.serverOptions) },
      broker: {
        ...rest.broker,
        serverOptions: { ...rest.broker?.serverOptions, ...limits, callObservers: observed(rest.broker?.serverOptions) },
        // Go's dial options: otelgrpc's client handler, then the metrics interceptor.
        channelOptions: {
          ...rest.broker?.channelOptions,
          callObservers: [...(rest.broker?.channelOptions?.callObservers ?? []), ...(tracing ? [tracing.clientObserver] : []), clientMetrics],
        },
      },
    });
  } finally {
    await stop();
  }
  if (rest.exitProcess !== false) process.exit(0);
}

/** How long serveLoop's exit waits for the last spans to be exported. */
const SHUTDOWN_FLUSH_MS = 1000;

/** serveMetrics with Go's listen error text (`listen tcp :PORT: bind: …`). */
async function startMetrics(port: number) {
  try {
    return await serveMetrics(port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A port outside 0..65535 (Go's env parsing lets it through) fails Go's bind with EINVAL.
    const why: Record<string, string> = { EADDRINUSE: "address already in use", EACCES: "permission denied", ERR_SOCKET_BAD_PORT: "invalid argument" };
    const text = e.code && why[e.code] ? `listen tcp :${port}: bind: ${why[e.code]}` : e.message;
    throw new Error(`error starting prometheus server: ${text}`);
  }
}

/** Logger.Fatalf of a Go LOOP plugin: one fatal record on stderr, exit status 1. */
function fatal(name: string, message: string): never {
  const rec = { "@level": "fatal", "@message": message, "@timestamp": hclogTimestamp(), logger: name };
  try {
    writeSync(2, JSON.stringify(rec) + "\n");
  } catch {
    // stderr closed: nothing to report to
  }
  process.exit(1);
}
