import { defaultEngine, type EngineName } from "../rpc/engine.js";
import { H2Channel } from "../rpc/h2-channel.js";
import type { Channel } from "../rpc/client.js";
import { observeChannel } from "../rpc/client-observe.js";
import type { ChannelOptions } from "../rpc/options.js";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Writable } from "node:stream";
import { Broker } from "../broker/broker.js";
import { ClientMux } from "../broker/mux.js";
import { duplexChannel } from "../rpc/duplex-channel.js";
import { GRPCBroker, type ConnInfo } from "../gen/plugin/grpc_broker_pb.js";
import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { GRPCStdio, StdioData_Channel } from "../gen/plugin/grpc_stdio_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AsyncQueue } from "../rpc/async-queue.js";
import { createClient } from "../rpc/client.js";
import { Code, RpcError } from "../rpc/status.js";
import { dialChannel, resolveGroup } from "../rpc/transport.js";
import { MAX_INT32, type NetAddr } from "../rpc/net-addr.js";
import { failChannel } from "../rpc/channel-close.js";
import { ENV } from "./env.js";
import { PluginError } from "./errors.js";
import { parseHandshakeLine, type Handshake, type HandshakeConfig, type Protocol } from "./handshake.js";
import { GRPC_SERVICE_NAME } from "./health.js";
import { readLines } from "./lines.js";
import { namedLogger, textLogger, type Logger } from "./logger.js";
import { manage, unmanage, type ManagedProcess } from "./managed.js";
import { versionedSets, type PluginSet } from "./plugin.js";
import { StderrLogParser } from "./stderr-log.js";
import { quoteForError } from "./quote.js";
import { MAX_HANDSHAKE_LINE, readFirstLine } from "./first-line.js";
import { spawnRunner, type AttachedPlugin, type PluginExit, type Runner, type StartedPlugin } from "./runner.js";
import { autoMTLS, type ClientTls } from "./client-tls.js";
import { resolveExecutable, verifyChecksum, type SecureConfig } from "./secure-config.js";
import { attachToProcess, type ReattachConfig } from "./reattach.js";
import { NOT_A_PLUGIN } from "./serve.js";

const NOT_A_PLUGIN_FIRST_LINE = NOT_A_PLUGIN.split("\n")[0]!;

/** A byte sink: a stream or a function. */
export type Sink = Writable | ((data: Uint8Array) => void);

export interface ClientConfig {
  handshakeConfig: HandshakeConfig;
  /** Plugins offered under `handshakeConfig.protocolVersion`. */
  plugins?: PluginSet;
  /** Plugins by app protocol version; every key is offered to the plugin. */
  versionedPlugins?: Record<number, PluginSet>;
  /** The plugin command. The child's stdin is the host's unless `stdin` says otherwise. */
  cmd?: { command: string; args?: readonly string[]; env?: Record<string, string>; cwd?: string };
  /**
   * Attach to a plugin that is already running instead of starting one
   * (go-plugin's Reattach); exactly one of `cmd` and `reattach` is set.
   */
  reattach?: ReattachConfig;
  /** Do not pass the host's own environment to the plugin (LOOP hosts do this). */
  skipHostEnv?: boolean;
  /** Handshake deadline; 60 s like go-plugin. */
  startTimeoutMs?: number;
  /** Accepted transports; a TS host speaks gRPC only. */
  allowedProtocols?: Protocol[];
  minPort?: number;
  maxPort?: number;
  /** Put plugin and host sockets in a private directory (under `tempDir`), owned by `group`. */
  unixSocketConfig?: { group?: string; tempDir?: string };
  /** go-plugin's AutoMTLS: fresh certificates on both sides, each trusting only the other. */
  autoMTLS?: boolean;
  /** Caller-supplied TLS (go-plugin's TLSConfig); ignored when autoMTLS is on. */
  tls?: ClientTls;
  /** Host logger; the plugin's stderr lines arrive here parsed, named `plugin.<name>`. */
  logger?: Logger;
  /** Logger name of the plugin; default the command's base name. */
  name?: string;
  /** Raw copy of every stderr line. */
  stderr?: Sink;
  /** What the plugin writes to stdout/stderr after the handshake (GRPCStdio). Default: discard. */
  syncStdout?: Sink;
  syncStderr?: Sink;
  /** Longest stderr line parsed as one record (go-plugin's PluginLogBufferSize). */
  pluginLogBufferSize?: number;
  /** Kill this client from `cleanupClients()` and when the host exits. */
  managed?: boolean;
  /** Options of the main channel (message limits, keepalive); go-plugin's dial defaults otherwise. */
  channelOptions?: ChannelOptions;
  /** The gRPC engine of the host's channel and its brokered servers and dials; default `defaultEngine()`. */
  engine?: EngineName;
  stdin?: "inherit" | "ignore";
  /** Broker rendezvous windows (go-plugin: 5 s each). */
  broker?: { dialTimeoutMs?: number; pendingTtlMs?: number };
  /** Grace between Shutdown and SIGKILL; 2 s like go-plugin. */
  killGraceMs?: number;
  /**
   * go-plugin's GRPCBrokerMultiplex: ask the plugin to carry the main
   * connection and every brokered one as yamux streams of one connection
   * (PLUGIN_MULTIPLEX_GRPC=true); a plugin that cannot is refused at start.
   */
  grpcBrokerMultiplex?: boolean;
  /** Checksum the executable must match before it is run (go-plugin's SecureConfig). */
  secureConfig?: SecureConfig;
  /** How the plugin process is run; default `spawnRunner({ killWithHost })`. */
  runner?: Runner;
  /**
   * With the default runner: the plugin's process group is SIGKILLed when this
   * host process dies, however it dies (SIGKILL included). Default true; POSIX only.
   */
  killWithHost?: boolean;
}

/** The connected protocol: go-plugin's ClientProtocol. */
export interface ClientProtocol {
  readonly channel: Channel;
  readonly broker: Broker;
  dispense<T = unknown>(name: string): T;
  ping(): Promise<void>;
}

const STDERR_TAIL = 20;
/** How long the pipes may stay open after the process exited (a daemonised child holding them). */
const PIPE_DRAIN_MS = 1000;
/** Characters of each stderr line quoted in a start error. */
const STDERR_LINE_SHOWN = 500;

/**
 * Launches a go-plugin plugin and connects to it: go-plugin's `Client`.
 * `start()` spawns and handshakes, `client()` dials (both idempotent),
 * `kill()` shuts it down. Usable with `await using`.
 */
export class Client implements ManagedProcess, AsyncDisposable {
  private proc?: AttachedPlugin;
  private startPromise?: Promise<NetAddr>;
  private clientPromise?: Promise<ClientProtocol>;
  private killPromise?: Promise<void>;
  private handshake?: Handshake;
  private pluginSet?: PluginSet;
  private protocol?: ClientProtocol;
  private streams = new AbortController();
  /** Aborted by kill(): a start still waiting for the handshake gives up at once. */
  private readonly killSignal = new AbortController();
  private socketDir?: string;
  private readonly stderrTail: string[] = [];
  private readonly logger: Logger;
  private readonly name: string;
  /** Plugin sets by app protocol version (every key is offered). */
  private readonly sets: Map<number, PluginSet>;
  private closedPromise?: Promise<void>;
  /** Set once the process has exited and its pipes are drained. */
  private exitReason?: string;
  /** Why the process never ran (spawn error), when it did not. */
  private spawnError?: Error;
  private tlsState?: ClientTls;
  private attachedGone = false;
  private mux?: ClientMux;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** True once Kill had to use SIGKILL. */
  forceKilled = false;

  constructor(private readonly config: ClientConfig) {
    this.sets = versionedSets(config.handshakeConfig.protocolVersion, config.plugins, config.versionedPlugins, false);
    this.logger = config.logger ?? textLogger();
    if (!config.cmd === !config.reattach) throw new PluginError("CONFIG", "exactly one of cmd or reattach must be set");
    this.name = config.name ?? (config.cmd ? basename(config.cmd.command) : `plugin-${config.reattach!.pid ?? "unknown"}`);
    if (config.managed) manage(this);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }
  /** The app protocol version the plugin chose. */
  get negotiatedVersion(): number | undefined {
    return this.handshake?.appVersion;
  }
  get address(): NetAddr | undefined {
    return this.handshake?.addr;
  }
  /** True once the process has exited and its pipes are drained (for a reattached one: its pid is gone). */
  get exited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null || this.attachedGone;
  }

  /**
   * How to attach to this plugin again (go-plugin's ReattachConfig()):
   * undefined before the handshake; the given config for a reattached client.
   */
  reattachConfig(): ReattachConfig | undefined {
    if (this.config.reattach) return this.handshake ? this.config.reattach : undefined;
    if (!this.handshake || !this.proc) return undefined;
    return { protocol: this.handshake.protocol, addr: this.handshake.addr, pid: this.proc.pid };
  }
  /** Settles when the process has exited and both pipes reached EOF. */
  get done(): Promise<void> {
    return this.closedPromise ?? Promise.resolve();
  }
  /** Last lines the plugin wrote to stderr, oldest first. */
  get lastStderr(): readonly string[] {
    return this.stderrTail;
  }

  start(): Promise<NetAddr> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  client(): Promise<ClientProtocol> {
    this.clientPromise ??= this.start().then(() => {
      if (this.killPromise) throw new PluginError("KILLED", "client was killed");
      return this.connect();
    });
    return this.clientPromise;
  }

  async dispense<T = unknown>(name: string): Promise<T> {
    return (await this.client()).dispense<T>(name);
  }

  async ping(): Promise<void> {
    return (await this.client()).ping();
  }

  kill(): Promise<void> {
    this.killPromise ??= this.doKill();
    return this.killPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }

  /** SIGKILLs the plugin's process group at once; for exit hooks. */
  killNow(): void {
    // A test-mode plugin ends itself; go-plugin never kills it.
    if (this.config.reattach?.test) return;
    if (!this.proc || this.proc.pid === undefined || this.exited) return;
    this.forceKilled = true;
    this.proc.killNow();
  }

  private describeExit(): string {
    if (this.exitSignal) return `killed by ${this.exitSignal}`;
    return `exit code ${this.exitCode}`;
  }

  private stderrSummary(): string {
    return this.stderrTail.length
      ? `\nlast stderr lines of ${this.name}:\n${this.stderrTail.map((l) => `  ${quoteForError(l, STDERR_LINE_SHOWN)}`).join("\n")}`
      : `\n(${this.name} wrote nothing to stderr)`;
  }

  /** go-plugin's servers print NOT_A_PLUGIN when the cookie is missing or wrong; say so. */
  private cookieHint(): string {
    if (!this.stderrTail.some((l) => l.startsWith(NOT_A_PLUGIN_FIRST_LINE))) return "";
    const { magicCookieKey: key, magicCookieValue: value } = this.config.handshakeConfig;
    return (
      `\nhint: ${this.name} says it was run directly, which is how a go-plugin plugin answers a magic cookie ` +
      `it does not expect: this host sets ${key}=${value}; the plugin's handshakeConfig must have the same magicCookieKey and magicCookieValue`
    );
  }

  private spawnFailed(error: Error): PluginError {
    return new PluginError("SPAWN_FAILED", `error starting plugin ${this.config.cmd?.command}: ${error.message}`, { cause: error });
  }

  private buildEnv(): Record<string, string> {
    const c = this.config as ClientConfig & { cmd: NonNullable<ClientConfig["cmd"]> };
    const hc = c.handshakeConfig;
    const env: Record<string, string> = { ...c.cmd.env };
    if (!c.skipHostEnv) Object.assign(env, process.env);
    const bothZero = !c.minPort && !c.maxPort;
    env[hc.magicCookieKey] = hc.magicCookieValue;
    env[ENV.minPort] = String(bothZero ? 10000 : (c.minPort ?? 0));
    env[ENV.maxPort] = String(bothZero ? 25000 : (c.maxPort ?? 0));
    env[ENV.protocolVersions] = [...this.sets.keys()].join(",");
    if (c.grpcBrokerMultiplex) env[ENV.multiplexGRPC] = "true";
    if (this.tlsState?.certPem) env[ENV.clientCert] = this.tlsState.certPem;
    if (this.socketDir) env[ENV.unixSocketDir] = this.socketDir;
    if (c.unixSocketConfig?.group) env[ENV.unixSocketGroup] = c.unixSocketConfig.group;
    return env;
  }

  private makeSocketDir(): void {
    const usc = this.config.unixSocketConfig;
    if (!usc) return;
    const dir = mkdtempSync(join(usc.tempDir ?? tmpdir(), "plugin-dir"));
    try {
      if (usc.group) {
        chownSync(dir, -1, resolveGroup(usc.group));
        chmodSync(dir, 0o770);
      }
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.socketDir = dir;
  }

  private async doStart(): Promise<NetAddr> {
    if (this.killPromise) throw new PluginError("KILLED", "client was killed before it started");
    if (this.config.reattach) return this.doReattach(this.config.reattach);
    const c = this.config as ClientConfig & { cmd: NonNullable<ClientConfig["cmd"]> };
    if (c.secureConfig) {
      // Checked before anything else is set up, so a refused binary leaves nothing behind.
      const env = c.skipHostEnv ? (c.cmd.env ?? {}) : { ...c.cmd.env, ...process.env };
      await verifyChecksum(resolveExecutable(c.cmd.command, env, c.cmd.cwd), c.secureConfig);
    }
    if (c.autoMTLS) {
      this.logger.log({ level: "debug", message: "configuring client automatic mTLS", name: "plugin", args: {} });
      this.tlsState = await autoMTLS();
    } else this.tlsState = c.tls;
    if (this.killPromise) throw new PluginError("KILLED", "client was killed before it started");
    this.makeSocketDir();
    const runner = c.runner ?? spawnRunner({ killWithHost: c.killWithHost });
    let proc: StartedPlugin;
    try {
      proc = runner.start({ command: c.cmd.command, args: c.cmd.args ?? [], env: this.buildEnv(), cwd: c.cmd.cwd, stdin: c.stdin ?? "inherit" });
    } catch (error) {
      this.removeSocketDir();
      unmanage(this);
      throw this.spawnFailed(error as Error);
    }
    this.proc = proc;
    const exited = proc.exited.then((exit: PluginExit) => {
      if (!exit.error) {
        this.exitCode = exit.code;
        this.exitSignal = exit.signal;
      } else this.spawnError = exit.error;
      return exit;
    });
    const spawnError = exited.then((exit) => exit.error ?? new Promise<Error>(() => {}));
    const log = namedLogger(this.logger, `plugin.${this.name}`);
    const parser = new StderrLogParser();
    const stderrDone = readLines(
      proc.stderr,
      (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
        writeSink(c.stderr, Buffer.from(line + "\n"));
        log.log(parser.parseLine(line));
      },
      {
        maxLine: c.pluginLogBufferSize ?? 64 * 1024,
        onFragment: (piece) => {
          writeSink(c.stderr, Buffer.from(piece));
          log.log(parser.parseFragment(piece));
        },
      },
    );
    const firstLine = readFirstLine(proc.stdout);
    const pipesDone = Promise.all([stderrDone, firstLine.eof]);
    const gone = exited.then(() => {
      // The plugin is gone: every call on its channels ends now, naming the exit.
      this.streams.abort();
      this.exitReason = this.spawnError
        ? `plugin ${this.name} never started: ${this.spawnError.message}`
        : `plugin ${this.name} (pid ${proc.pid}) exited: ${this.describeExit()}`;
      this.releaseChannels(this.exitReason);
      this.mux?.close();
    });
    this.closedPromise = gone.then(async () => {
      // A daemonised grandchild can hold the pipes open for ever: drain briefly, then let go.
      const drained = await Promise.race([pipesDone.then(() => true), delay(PIPE_DRAIN_MS).then(() => false)]);
      if (!drained) {
        proc.stdout.destroy();
        proc.stderr.destroy();
        await pipesDone;
      }
      if (this.spawnError) {
        this.logger.log({ level: "error", message: "plugin failed to start", name: "plugin", args: { plugin: c.cmd.command, error: this.spawnError.message } });
      } else {
        this.logger.log({
          level: this.exitCode === 0 ? "info" : this.killPromise ? "debug" : "error",
          message: "plugin process exited",
          name: "plugin",
          args: { plugin: c.cmd.command, id: proc.pid, status: this.describeExit() },
        });
      }
    });
    this.logger.log({ level: "debug", message: "plugin started", name: "plugin", args: { path: c.cmd.command, pid: proc.pid } });

    const timeoutMs = c.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const killed = new Promise<"killed">((resolve) => {
      if (this.killSignal.signal.aborted) resolve("killed");
      this.killSignal.signal.addEventListener("abort", () => resolve("killed"), { once: true });
    });
    const outcome = await Promise.race([
      firstLine.line,
      timeout,
      killed,
      spawnError.then((error) => ({ error })),
    ]);
    clearTimeout(timer);
    try {
      if (typeof outcome === "object" && "error" in outcome) throw this.spawnFailed(outcome.error);
      if (outcome === "killed" || (typeof outcome === "object" && "kind" in outcome && outcome.kind === "eof" && this.killSignal.signal.aborted)) {
        throw new PluginError("KILLED", `client was killed while ${this.name} (pid ${proc.pid}) was starting`);
      }
      if (outcome === "timeout") {
        throw new PluginError(
          "START_TIMEOUT",
          `timeout while waiting for plugin to start: no handshake line from ${this.name} (pid ${proc.pid}) within ${timeoutMs} ms`,
        );
      }
      if (outcome.kind === "too-long") {
        throw new PluginError(
          "UNRECOGNIZED_HANDSHAKE",
          `Unrecognized remote plugin message: no end of line within ${MAX_HANDSHAKE_LINE + 1} bytes of ${this.name}'s stdout ` +
            `(go-plugin's line limit), starting "${quoteForError(outcome.head, 160)}"`,
        );
      }
      if (outcome.kind === "eof" && outcome.rest === undefined) {
        const exit = await Promise.race([exited, delay(500)]);
        if (exit?.error) throw this.spawnFailed(exit.error);
        await Promise.race([stderrDone, delay(100)]);
        throw new PluginError(
          "EXITED_BEFORE_HANDSHAKE",
          `plugin ${this.name} exited before we could connect (${this.exited ? this.describeExit() : "still running, stdout closed"}): ` +
            `Failed to read any lines from plugin's stdout`,
        );
      }
      this.handshake = parseHandshakeLine(outcome.kind === "line" ? outcome.line : outcome.rest!, {
        versions: [...this.sets.keys()],
        allowedProtocols: c.allowedProtocols ?? ["grpc"],
        mux: c.grpcBrokerMultiplex,
      });
      if (this.handshake.protocol !== "grpc") {
        throw new PluginError("UNSUPPORTED_PROTOCOL", `unknown server protocol: ${this.handshake.protocol}`);
      }
      if (this.tlsState && this.handshake.serverCert) this.tlsState = this.tlsState.withServerCert?.(this.handshake.serverCert) ?? this.tlsState;
      this.pluginSet = this.sets.get(this.handshake.appVersion);
    } catch (err) {
      this.killNow();
      await this.closedPromise.catch(() => {});
      this.removeSocketDir();
      unmanage(this);
      // Every start failure names what the plugin last wrote to stderr.
      // A process that never ran has no stderr to speak of.
      if (err instanceof PluginError) {
        const more = err.code === "SPAWN_FAILED" ? "" : this.stderrSummary() + this.cookieHint();
        throw new PluginError(err.code, err.message + more, { cause: err.cause });
      }
      throw err;
    }
    this.logger.log({ level: "debug", message: "using plugin", name: "plugin", args: { version: this.handshake.appVersion } });
    return this.handshake.addr;
  }

  /** go-plugin's reattach(): no process, no handshake; address and protocol come from the config. */
  private async doReattach(rc: ReattachConfig): Promise<NetAddr> {
    const c = this.config;
    if (c.secureConfig) throw new PluginError("CONFIG", "only one of Reattach or SecureConfig can be set");
    if (c.grpcBrokerMultiplex) throw new PluginError("CONFIG", "gRPC broker multiplexing is not supported with Reattach config");
    if (rc.pid === undefined) throw new PluginError("CONFIG", "reattach config needs the plugin's pid");
    if (rc.protocol !== "grpc") throw new PluginError("UNSUPPORTED_PROTOCOL", `unknown server protocol: ${rc.protocol}`);
    const attached = await attachToProcess(rc);
    this.proc = attached;
    // No certificate is exchanged on reattach: AutoMTLS cannot apply, explicit TLS can.
    this.tlsState = c.tls;
    const appVersion = rc.test ? (rc.protocolVersion ?? 0) : 0;
    this.handshake = { appVersion, addr: rc.addr, protocol: "grpc" };
    this.pluginSet = this.sets.get(appVersion) ?? this.sets.get(c.handshakeConfig.protocolVersion) ?? c.plugins;
    this.closedPromise = attached.exited.then(() => {
      this.attachedGone = true;
      this.logger.log({ level: "debug", message: "reattached plugin process exited", name: "plugin", args: { pid: rc.pid } });
      this.streams.abort();
      this.exitReason = `plugin ${this.name} (pid ${rc.pid}) exited`;
      this.releaseChannels(this.exitReason);
    });
    return rc.addr;
  }

  private connect(): ClientProtocol {
    const h = this.handshake!;
    const tls = this.tlsState;
    let channel: Channel;
    if (this.config.grpcBrokerMultiplex) {
      // One connection, dialled now as Go does; the main channel takes a new stream per (re)connect.
      const mux = new ClientMux(h.addr, {
        log: (message) => this.logger.log({ level: message.startsWith("[ERR]") ? "error" : "debug", message, name: "plugin.yamux", args: {} }),
      });
      this.mux = mux;
      mux.connect().catch(() => {});
      channel =
        (this.config.engine ?? defaultEngine()) === "h2"
          ? new H2Channel(() => mux.open(), {
              tls: tls?.pem,
              maxReceiveMessageLength: this.config.channelOptions?.maxReceiveMessageLength ?? MAX_INT32,
              maxSendMessageLength: this.config.channelOptions?.maxSendMessageLength ?? MAX_INT32,
            })
          : duplexChannel(() => mux.open(), {
              tls: tls?.connectionOptions?.(),
              target: "plugin",
              maxReceiveMessageLength: this.config.channelOptions?.maxReceiveMessageLength,
            });
      observeChannel(channel, this.config.channelOptions?.callObservers);
    } else {
      try {
        channel = dialChannel(h.addr, {
          engine: this.config.engine,
          tls: tls?.pem,
          ...this.config.channelOptions,
        });
      } catch (err) {
        throw new PluginError(
          "CONNECT_FAILED",
          `cannot dial plugin ${this.name} at ${h.addr.network} address "${quoteForError(h.addr.address)}": ${quoteForError((err as Error).message)}`,
          { cause: err },
        );
      }
    }
    const broker = new Broker({
      listen: { socketDir: this.socketDir, socketGroup: this.config.unixSocketConfig?.group },
      engine: this.config.engine,
      tls: tls?.pem,
      mux: this.mux,
      muxTls: tls?.connectionOptions && (() => tls.connectionOptions!()),
      ...this.config.broker,
    });
    const signal = this.streams.signal;
    this.openBrokerStream(channel, broker, signal);
    this.openStdio(channel, signal);
    const health = createClient(Health, channel);
    const pluginSet = this.pluginSet ?? {};
    this.protocol = {
      channel,
      broker,
      dispense: <T>(name: string): T => {
        const p = pluginSet[name];
        if (!p) throw new PluginError("UNKNOWN_PLUGIN", `unknown plugin type: ${name}`);
        if (!p.grpcClient) throw new PluginError("UNKNOWN_PLUGIN", `plugin "${name}" doesn't support gRPC`);
        return p.grpcClient({ broker, channel }) as T;
      },
      ping: async () => {
        await health.check({ service: GRPC_SERVICE_NAME });
      },
    };
    if (this.exitReason) this.releaseChannels(this.exitReason);
    return this.protocol;
  }

  private openBrokerStream(channel: Channel, broker: Broker, signal: AbortSignal): void {
    const out = new AsyncQueue<ConnInfo>(signal);
    broker.attach({ send: (info) => out.push(info) });
    const stream = createClient(GRPCBroker, channel).startStream(out, { signal });
    void (async () => {
      try {
        for await (const info of stream) broker.receive(info);
      } catch (err) {
        this.quietStreamError("broker stream ended", err);
      }
    })();
  }

  private openStdio(channel: Channel, signal: AbortSignal): void {
    const c = this.config;
    void (async () => {
      try {
        for await (const d of createClient(GRPCStdio, channel).streamStdio({}, { signal })) {
          if (d.channel === StdioData_Channel.STDOUT) writeSink(c.syncStdout, d.data);
          else if (d.channel === StdioData_Channel.STDERR) writeSink(c.syncStderr, d.data);
          else this.logger.log({ level: "warn", message: "unknown channel, dropping", name: "plugin", args: { channel: d.channel } });
        }
      } catch (err) {
        const e = RpcError.from(err);
        if (e.code === Code.UNIMPLEMENTED || (e.code === Code.UNAVAILABLE && !this.exited && !this.killPromise)) {
          this.logger.log({ level: "warn", message: "stdio service not available, stdout/stderr syncing unavailable", name: "plugin", args: { error: e.details } });
        } else this.quietStreamError("stdio stream ended", err);
      }
    })();
  }

  private quietStreamError(message: string, err: unknown): void {
    const e = RpcError.from(err);
    const expected =
      [Code.CANCELLED, Code.UNAVAILABLE, Code.UNIMPLEMENTED].includes(e.code) || this.killPromise !== undefined || this.exited;
    this.logger.log({ level: expected ? "debug" : "error", message, name: "plugin", args: { code: Code[e.code], error: e.details } });
  }

  private async doKill(): Promise<void> {
    unmanage(this);
    if (!this.startPromise) return;
    // A start still waiting for its handshake has nothing to shut down gracefully: end it now.
    if (!this.handshake) {
      this.killSignal.abort();
      this.killNow();
    }
    await this.startPromise.catch(() => {});
    const proc = this.proc;
    if (!proc) return;
    if (this.config.reattach?.test) {
      // go-plugin leaves a test-mode plugin running; only our own connections go.
      this.streams.abort();
      this.releaseChannels(`client of test-mode plugin ${this.name} was killed`, Code.CANCELLED);
      this.mux?.close();
      return;
    }
    const grace = this.config.killGraceMs ?? 2000;
    const deadline = Date.now() + grace;
    const killed = `plugin ${this.name} (pid ${proc.pid}) was killed: the client connection is closing`;
    let protocol: ClientProtocol | undefined;
    if (!this.exited && this.handshake) {
      try {
        protocol = this.protocol ?? this.connect();
      } catch {
        // Undialable address: no graceful Shutdown possible, SIGKILL below.
      }
    }
    if (protocol) {
      protocol.broker.close();
      await createClient(GRPCController, protocol.channel)
        .shutdown({}, { deadline: new Date(deadline) })
        .catch(() => {});
      this.streams.abort();
      this.releaseChannels(killed, Code.CANCELLED);
      // The mux connection stays until the plugin is gone: closing it first would fail its Shutdown mid-way.
      const graceful = await Promise.race([this.done.then(() => true), delay(Math.max(0, deadline - Date.now())).then(() => false)]);
      if (graceful) {
        this.logger.log({ level: "debug", message: "plugin exited", name: "plugin", args: {} });
      } else {
        this.logger.log({ level: "warn", message: "plugin failed to exit gracefully", name: "plugin", args: { pid: proc.pid } });
        this.killNow();
      }
    } else {
      this.streams.abort();
      this.releaseChannels(killed, Code.CANCELLED);
      this.mux?.close();
      this.killNow();
    }
    await this.done;
    this.mux?.close();
    this.removeSocketDir();
  }

  /**
   * Ends every call, pending or future, on the main and brokered channels:
   * UNAVAILABLE naming the exit when the plugin died, CANCELLED when it was
   * killed (as grpc-go reports calls on a closed connection).
   */
  private releaseChannels(reason: string, code: Code = Code.UNAVAILABLE): void {
    if (!this.protocol) return;
    if (code === Code.UNAVAILABLE) this.protocol.broker.peerGone(reason);
    else this.protocol.broker.close();
    failChannel(this.protocol.channel, reason, code);
  }

  private removeSocketDir(): void {
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    this.socketDir = undefined;
  }
}

function writeSink(sink: Sink | undefined, data: Uint8Array): void {
  if (!sink) return;
  if (typeof sink === "function") sink(data);
  else sink.write(data);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
