import { createServer, defaultEngine, type EngineName } from "../rpc/engine.js";
import { H2Server } from "../rpc/h2-server.js";
import { grpcJsServer } from "../rpc/grpc-js-handles.js";
import { serverCredentialsOf } from "../rpc/grpc-js-engine.js";
import type { ChannelOptions, ServerOptions } from "../rpc/options.js";
import { writeSync } from "node:fs";
import type { Duplex } from "node:stream";
import { Broker } from "../broker/broker.js";
import { GRPCBroker, type ConnInfo } from "../gen/plugin/grpc_broker_pb.js";
import { HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AsyncQueue } from "../rpc/async-queue.js";
import { addServices, service, type ServiceRegistration } from "../rpc/server.js";
import { bindNet, bindServer, type BoundListener } from "../rpc/transport.js";
import { MAX_INT32 } from "../rpc/net-addr.js";
import { ServerMux } from "../broker/mux.js";
import { controllerService } from "./controller.js";
import { ENV, parsePortRange, parseProtocolVersions } from "./env.js";
import { formatHandshakeLine, parseGoBool, type HandshakeConfig } from "./handshake.js";
import { formatReattachConfig, type ReattachConfig } from "./reattach.js";
import { HclogLogger } from "./hclog.js";
import { GRPC_SERVICE_NAME, HealthServer } from "./health.js";
import { negotiateVersion } from "./negotiate.js";
import { versionedSets, type PluginSet } from "./plugin.js";
import { StdioCapture } from "./stdio.js";
import { guardStdout, releaseStdout } from "./stdout-guard.js";
import { serverTlsFromEnv, type ServerTls } from "./tls.js";

export const MISCONFIGURED_COOKIE =
  "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n" +
  "key or value was set. Please notify the plugin author and report\nthis as a bug.\n";
export const NOT_A_PLUGIN =
  "This binary is a plugin. These are not meant to be executed directly.\n" +
  "Please execute the program that consumes these plugins, which will\nload any plugins automatically\n";

export interface ServeConfig {
  handshakeConfig: HandshakeConfig;
  /** Served under `handshakeConfig.protocolVersion`. */
  plugins?: PluginSet;
  /** Plugin sets by app protocol version; the host's highest common one is used. */
  versionedPlugins?: Record<number, PluginSet>;
  /** hclog JSON logger on fd 2 (the default, at trace, like go-plugin's). */
  logger?: HclogLogger;
  /** Largest message accepted from the host; 4 MiB like a Go plugin's server. */
  maxRecvMsgSize?: number;
  /**
   * Options of the plugin's own gRPC server (go-plugin's `GRPCServer` options), e.g. `callObservers`;
   * `maxRecvMsgSize` / `maxSendMsgSize` win over its message limits. Brokered servers: `broker.serverOptions`.
   */
  serverOptions?: ServerOptions;
  /** The gRPC engine of the plugin's servers and brokered dials; default `defaultEngine()`. */
  engine?: EngineName;
  /** Largest message sent to the host; MaxInt32 by default. */
  maxSendMsgSize?: number;
  /** "unix" (default off Windows) or "tcp" within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. */
  network?: "unix" | "tcp";
  /** Explicit TLS, like go-plugin's TLSProvider; wins over AutoMTLS. */
  tlsProvider?: () => ServerTls | Promise<ServerTls>;
  /** Broker rendezvous windows (go-plugin: 5 s each), the options of brokered servers and of brokered dials. */
  broker?: { dialTimeoutMs?: number; pendingTtlMs?: number; serverOptions?: ServerOptions; channelOptions?: ChannelOptions };
  /** Exit the process (status 0) once serving ends, as a Go plugin's main returns. Default true. */
  exitProcess?: boolean;
  /**
   * Exit when the host goes away: its process is gone (checked every second),
   * or the broker stream it opened ended without a Shutdown (a Go plugin's
   * broker is dead after that anyway). Default true.
   */
  exitWithHost?: boolean;
  /** Ends serving, like go-plugin's test-mode context. */
  signal?: AbortSignal;
  /**
   * Test/debug mode (go-plugin's ServeTestConfig): no cookie check and no
   * handshake line; the reattach configuration is printed as one JSON line on
   * stdout (see `formatReattachConfig`) and given to `onReattachConfig`; a
   * host attaches with `new Client({ reattach })`, and its `kill()` leaves
   * the plugin running. Serving ends on `signal`, SIGINT or SIGTERM (or a
   * host's Shutdown), not when a host goes away.
   */
  test?: { onReattachConfig?: (rc: ReattachConfig) => void; syncStdio?: boolean };
}

/**
 * Serves plugins to a go-plugin host: checks the cookie, negotiates the version,
 * binds the listener, prints the handshake line and serves until the host sends
 * GRPCController.Shutdown. Resolves when serving has ended.
 */
export async function serve(config: ServeConfig): Promise<void> {
  guardStdout();
  const env = process.env;
  const { magicCookieKey: key, magicCookieValue: value, protocolVersion } = config.handshakeConfig;
  const test = config.test;
  if (!key || !value) exitWith(MISCONFIGURED_COOKIE, 1);
  if (!test && env[key] !== value) exitWith(NOT_A_PLUGIN, 1);
  const exitWithHost = !test && config.exitWithHost !== false;

  const log = config.logger ?? new HclogLogger();
  const sets = versionedSets(protocolVersion, config.plugins, config.versionedPlugins, true);
  const offered = parseProtocolVersions(env[ENV.protocolVersions], (m) => writeSync(2, m));
  const version = negotiateVersion([...sets.keys()], offered);
  const pluginSet = sets.get(version)!;

  let ports: { min: number; max: number };
  let tls: ServerTls | undefined;
  try {
    ports = parsePortRange(env);
    tls = config.tlsProvider ? await config.tlsProvider() : await serverTlsFromEnv(env, log);
  } catch (err) {
    log.error("plugin init error", { error: err as Error });
    return exitWith("", 1);
  }
  const listen = {
    network: config.network,
    socketDir: env[ENV.unixSocketDir],
    socketGroup: env[ENV.unixSocketGroup],
    minPort: ports.min,
    maxPort: ports.max,
  };
  // go-plugin: field 7 is sent whenever the host set the variable; mux runs only if it reads as true.
  const muxField = !!env[ENV.multiplexGRPC];
  const muxOn = parseGoBool(env[ENV.multiplexGRPC] ?? "");
  const engine: EngineName = config.engine ?? defaultEngine();
  const server = createServer({
    ...config.serverOptions,
    engine,
    maxReceiveMessageLength: config.maxRecvMsgSize ?? 4 * 1024 * 1024,
    maxSendMessageLength: config.maxSendMsgSize ?? MAX_INT32,
    tls: tls?.pem,
  });
  let mux: { mux: ServerMux; raw: BoundListener } | undefined;
  if (muxOn) {
    try {
      const raw = await bindNet(listen);
      // Each mux stream is one connection of the main server (TLS inside the stream, as in Go).
      const serveStream =
        server instanceof H2Server
          ? (stream: Duplex) => server.accept(stream)
          : ((injector) => (stream: Duplex) => injector.injectConnection(stream))(
              ((g) => g.createConnectionInjector(serverCredentialsOf(g)))(grpcJsServer(server)),
            );
      const serverMux = new ServerMux(
        raw.server,
        serveStream,
        (level, message) => (level === "error" ? log.error(message) : log.debug(message)),
      );
      mux = { mux: serverMux, raw };
    } catch (err) {
      log.error("plugin init error", { error: err as Error });
      return exitWith("", 1);
    }
  }
  const broker = new Broker({
    listen,
    engine: config.engine ?? defaultEngine(),
    tls: tls?.pem,
    mux: mux?.mux,
    muxTls: tls && (() => tls!.connectionOptions()),
    ...config.broker,
  });
  const health = new HealthServer();
  health.setStatus(GRPC_SERVICE_NAME, HealthCheckResponse_ServingStatus.SERVING);
  const stdio = new StdioCapture();
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));

  const registrations: ServiceRegistration[] = [
    health.registration(),
    brokerService(broker, () => {
      if (!exitWithHost) return;
      log.debug("broker stream ended without Shutdown; host is gone, exiting");
      stop();
    }),
    controllerService(() => stop()),
    stdio.registration(),
  ];
  let bound: BoundListener;
  try {
    for (const plugin of Object.values(pluginSet)) {
      if (!plugin.grpcServer) throw new Error("plugin set entry has no grpcServer");
      registrations.push(...(await plugin.grpcServer({ broker })));
    }
    addServices(server, registrations);
    bound = mux?.raw ?? (await bindServer(server, listen));
  } catch (err) {
    server.forceShutdown();
    mux?.raw.release();
    log.error("plugin init error", { error: err as Error });
    return exitWith("", 1);
  }
  log.debug("plugin address", { network: bound.addr.network, address: bound.addr.address });
  // Handlers go in before the handshake line: a host may signal as soon as it reads it, and
  // a signal without a handler kills the process at once, leaving its socket file behind.
  let interrupts = 0;
  // `go-plugin-ts build` finds this text in a bundle to know that serve() is reachable (src/cli/bundle.ts).
  // In test mode an interrupt ends serving (go-plugin swallows it only when a host runs the plugin).
  const onInterrupt = test ? () => stop() : () => log.trace("plugin received interrupt signal, ignoring", { count: ++interrupts });
  process.on("SIGINT", onInterrupt);
  // A socket file must not outlive the process, however it ends.
  const release = () => bound.release();
  process.once("exit", release);
  const onTerm = test
    ? () => stop()
    : () => {
        release();
        process.exit(143);
      };
  process.once("SIGTERM", onTerm);
  if (test) {
    const rc: ReattachConfig = { protocol: "grpc", protocolVersion: version, addr: bound.addr, pid: process.pid, test: true };
    writeSync(1, formatReattachConfig(rc) + "\n");
    releaseStdout();
    if (test.syncStdio) stdio.install();
    test.onReattachConfig?.(rc);
  } else {
    const line = formatHandshakeLine({ appVersion: version, addr: bound.addr, serverCertDer: tls?.certDer, muxField });
    writeSync(1, line + "\n");
    releaseStdout();
    stdio.install();
  }
  const hostWatch = exitWithHost ? watchHost(() => stop()) : undefined;
  // A signal that aborted before now (during setup) stops at once: its abort event has already fired.
  const onAbort = () => stop();
  if (config.signal?.aborted) stop();
  else config.signal?.addEventListener("abort", onAbort, { once: true });

  await stopped;
  config.signal?.removeEventListener("abort", onAbort);
  clearInterval(hostWatch);
  process.off("SIGINT", onInterrupt);
  process.off("SIGTERM", onTerm);
  process.off("exit", release);
  if (server instanceof H2Server) {
    // GOAWAY, a moment for replies in flight (Shutdown's own), then the
    // long-lived streams are reset and each connection closes cleanly.
    await server.tryShutdown(SHUTDOWN_GRACE_MS);
  } else server.forceShutdown();
  broker.close();
  mux?.mux.close();
  bound.release();
  if (!test || test.syncStdio) stdio.uninstall();
  if (config.exitProcess !== false) process.exit(0);
}

/** How long calls in flight may finish after the host's Shutdown (h2 engine). */
const SHUTDOWN_GRACE_MS = 100;

function exitWith(message: string, code: number): never {
  if (message) writeSync(2, message);
  process.exit(code);
}

/** Polls for the host's death: a reparented process has a new ppid. */
function watchHost(onGone: () => void): NodeJS.Timeout {
  const parent = process.ppid;
  const t = setInterval(() => {
    if (process.ppid !== parent) onGone();
  }, 1000);
  t.unref();
  return t;
}

/**
 * plugin.GRPCBroker served on the plugin: one StartStream feeds the broker.
 * `onHostGone` runs when the host's side of the stream goes away abruptly.
 */
function brokerService(broker: Broker, onHostGone: () => void): ServiceRegistration {
  return service(GRPCBroker, {
    startStream: (reqs, ctx) => {
      const out = new AsyncQueue<ConnInfo>(ctx.signal);
      broker.attach({ send: (info) => out.push(info) });
      let ended = false;
      // A host that kills us sends Shutdown first; a stream cut without one means the host died.
      const end = () => {
        if (ended) return;
        ended = true;
        out.close();
        setTimeout(onHostGone, 1000).unref();
      };
      ctx.signal.addEventListener("abort", end, { once: true });
      void (async () => {
        try {
          for await (const info of reqs) broker.receive(info);
        } catch {
          // the stream broke
        }
        end();
      })();
      return out;
    },
  });
}
