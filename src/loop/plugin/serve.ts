import { writeSync } from "node:fs";
import type { Registry } from "prom-client";
import { serve, type ServeConfig } from "../../goplugin/serve.js";
import { HclogLogger, hclogTimestamp } from "../../goplugin/hclog.js";
import { LoopLogger } from "./logger.js";
import type { LogLevel } from "../../goplugin/logger.js";
import type { PluginSet } from "../../goplugin/plugin.js";
import type { ServerOptions } from "../../rpc/options.js";
import { EnvConfigError, parseEnvConfig, type EnvConfig } from "../env-config.js";
import { serveMetrics } from "../metrics.js";
import { GrpcServerMetrics } from "../grpc-metrics.js";

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
}

/**
 * Runs a LOOP plugin the way chainlink-common's `loop.NewStartedServer` and
 * `plugin.Serve` do in a Go plugin's main: reads the node's CL_* settings
 * (a bad value ends the process with status 1 and Go's text, before any
 * handshake), serves Prometheus metrics on CL_PROMETHEUS_PORT, counts every
 * call of the plugin's server and of its brokered servers in Go's grpc_server_*
 * metrics (`GrpcServerMetrics`), applies the gRPC receive limit
 * CL_GRPC_SERVER_MAX_RECV_MSG_SIZE to them, then serves the plugin. Resolves
 * when serving ends.
 */
export async function serveLoop(config: ServeLoopConfig): Promise<void> {
  const { name, plugins, logLevel, env, ...rest } = config;
  const out = new HclogLogger({ level: logLevel ?? "debug" });
  const logger = new LoopLogger(name, out);
  let envConfig: EnvConfig;
  let metrics: Awaited<ReturnType<typeof serveMetrics>>;
  try {
    envConfig = parseEnvConfig(env ?? process.env);
    metrics = await startMetrics(envConfig.prometheusPort ?? 0);
  } catch (err) {
    return fatal(name, `Failed to start server: ${err instanceof EnvConfigError ? err.goMessage : (err as Error).message}`);
  }
  if (envConfig.tracingEnabled || envConfig.telemetryEndpoint) {
    logger.warn("CL_TRACING_* / CL_TELEMETRY_* are set, but this TypeScript runtime exports no traces or telemetry; ignoring them");
  }
  const maxRecv = envConfig.grpcServerMaxRecvMsgSize ?? 0;
  const limits = maxRecv > 0 ? { maxReceiveMessageLength: maxRecv } : {};
  // One set of series for all servers, as Go's GRPCOpts shares one ServerMetrics between them.
  const grpcMetrics = new GrpcServerMetrics(metrics.registry);
  const observed = (o: { callObservers?: ServerOptions["callObservers"] } | undefined) => [...(o?.callObservers ?? []), grpcMetrics];
  let pluginSet: PluginSet;
  try {
    pluginSet = await plugins({ logger, envConfig, metrics });
  } catch (err) {
    await metrics.close();
    return fatal(name, `Failed to create plugin: ${(err as Error).message}`);
  }
  try {
    await serve({
      ...rest,
      plugins: pluginSet,
      logger: out,
      ...(maxRecv > 0 ? { maxRecvMsgSize: maxRecv } : {}),
      serverOptions: { ...rest.serverOptions, callObservers: observed(rest.serverOptions) },
      broker: {
        ...rest.broker,
        serverOptions: { ...rest.broker?.serverOptions, ...limits, callObservers: observed(rest.broker?.serverOptions) },
      },
    });
  } finally {
    await metrics.close();
  }
}

/** serveMetrics with Go's listen error text (`listen tcp :PORT: bind: …`). */
async function startMetrics(port: number) {
  try {
    return await serveMetrics(port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why: Record<string, string> = { EADDRINUSE: "address already in use", EACCES: "permission denied" };
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
