import type { Channel } from "../rpc/client.js";
import { create } from "@bufbuild/protobuf";
import type { ConnectionOptions } from "node:tls";
import type { ConnInfo } from "../gen/plugin/grpc_broker_pb.js";
import { ConnInfo_KnockSchema, ConnInfoSchema } from "../gen/plugin/grpc_broker_pb.js";
import { failChannel } from "../rpc/channel-close.js";
import { duplexChannel } from "../rpc/duplex-channel.js";
import { H2Channel } from "../rpc/h2-channel.js";
import { H2Server } from "../rpc/h2-server.js";
import { Code } from "../rpc/status.js";
import { observeChannel } from "../rpc/client-observe.js";
import { createServer, defaultEngine, type EngineName } from "../rpc/engine.js";
import { addServices, type Server, type ServiceRegistration } from "../rpc/server.js";
import type { BrokerMux } from "./mux.js";
import { bindServer, dialChannel, grpcTarget, type ListenOptions } from "../rpc/transport.js";
import { MAX_INT32, type NetAddr } from "../rpc/net-addr.js";
import type { ChannelOptions, ServerOptions, TlsPem } from "../rpc/options.js";
import { grpcJsServer } from "../rpc/grpc-js-handles.js";
import { serverCredentialsOf } from "../rpc/grpc-js-engine.js";

export class BrokerError extends Error {
  override readonly name = "BrokerError";
  constructor(
    readonly code: "DIAL_TIMEOUT" | "CLOSED" | "UNKNOWN_ADDRESS_TYPE" | "ACCEPT_FAILED" | "KNOCK_FAILED",
    readonly id: number,
    message: string,
  ) {
    super(message);
  }
}

/** The broker's half of the StartStream call: where its announcements go. */
export interface BrokerStreamSink {
  send(info: ConnInfo): void;
}

export interface BrokerOptions {
  /** Where new listeners go (socket dir and group, or a tcp port range). */
  listen?: ListenOptions;
  /** The engine of brokered servers and dials, on sockets or mux streams; default `defaultEngine()`. */
  engine?: EngineName;
  /** Mutual TLS for brokered servers and dials (AutoMTLS or caller TLS); plaintext if absent. */
  tls?: TlsPem;
  /** How long `dial` waits for the peer's ConnInfo (go-plugin: 5 s). */
  dialTimeoutMs?: number;
  /** How long an unclaimed ConnInfo is kept (go-plugin: 5 s). */
  pendingTtlMs?: number;
  /** Options of brokered servers; default limits: 4 MiB received, MaxInt32 sent (go-plugin's). */
  serverOptions?: ServerOptions;
  /** Options of every brokered dial (go-plugin's dial options), under those a `dial` call gives. */
  channelOptions?: ChannelOptions;
  /** Maps addresses received from the peer (go-plugin's AddrTranslator.PluginToHost). */
  translateIncoming?: (addr: NetAddr) => NetAddr;
  /**
   * Multiplexed mode (go-plugin's GRPCBrokerMultiplex): brokered connections
   * are streams of this mux, set up by knocks on the broker stream, and no
   * socket is made per connection. Sockets when absent.
   */
  mux?: BrokerMux;
  /** TLS for brokered dials over mux streams (the same peer trust as `tls`). */
  muxTls?: () => ConnectionOptions;
}

/** A listener this side announced under a broker id. */
export interface BrokerListener {
  readonly id: number;
  /** The socket announced to the peer; none in mux mode. */
  readonly addr?: NetAddr;
  readonly server: Server;
  /** Stops serving at once and removes the socket. */
  close(): void;
}

interface Pending {
  info?: ConnInfo;
  timer?: NodeJS.Timeout;
  waiters: Array<(info: ConnInfo | Error) => void>;
}

/**
 * go-plugin's GRPCBroker: extra gRPC connections by id in either direction.
 * The carrier is the one seam between the two modes. With sockets, `accept`
 * binds a fresh listener and announces it on the broker stream, and `dial`
 * waits for the peer's announcement and connects. With a mux, `accept` only
 * registers the id, and `dial` knocks on the broker stream, waits for the
 * ack and opens a mux stream. Ids count per side from 1; the peer's ids live
 * in a separate table.
 */
export class Broker {
  private lastId = 0;
  private sink?: BrokerStreamSink;
  private readonly outbox: ConnInfo[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<BrokerListener>();
  private readonly channels = new Set<Channel>();
  private closed = false;
  /** Knocks that arrived before `accept(id)`; one kept per id, as in Go. */
  private readonly knocks = new Map<number, ConnInfo>();
  private readonly muxListeners = new Set<number>();
  /** Mux dials run one at a time: the peer pairs its next stream with the last acked knock. */
  private dialQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: BrokerOptions = {}) {}

  /** True when brokered connections are mux streams. */
  get multiplexed(): boolean {
    return this.opts.mux !== undefined;
  }

  /** The next id of this side: 1, 2, 3, … (uint32, wrapping as Go's does). */
  nextId(): number {
    this.lastId = (this.lastId + 1) >>> 0;
    return this.lastId;
  }

  /** Connects the broker to its StartStream; queued announcements go out now. */
  attach(sink: BrokerStreamSink): void {
    this.sink = sink;
    for (const info of this.outbox.splice(0)) sink.send(info);
  }

  /** Feeds a ConnInfo the peer sent on the stream. */
  receive(info: ConnInfo): void {
    if (this.closed) return;
    const id = info.serviceId;
    if (this.opts.mux && info.knock?.knock && !info.knock.ack) {
      if (this.muxListeners.has(id)) this.answerKnock(id);
      else if (!this.knocks.has(id)) this.knocks.set(id, info);
      return;
    }
    const entry = this.pending.get(id);
    if (entry?.info) return; // a second announcement for a pending id is dropped, as in Go
    const waiter = entry?.waiters.shift();
    if (waiter) {
      if (entry && entry.waiters.length === 0) this.pending.delete(id);
      waiter(info);
      return;
    }
    const ttl = this.opts.pendingTtlMs ?? 5000;
    const timer = setTimeout(() => {
      const e = this.pending.get(id);
      if (e?.info === info) this.pending.delete(id);
    }, ttl);
    timer.unref();
    this.pending.set(id, { info, timer, waiters: [] });
  }

  /** Binds a fresh gRPC server under `id` and announces it to the peer. */
  async accept(id: number): Promise<BrokerListener> {
    if (this.closed) throw new BrokerError("CLOSED", id, `broker closed: cannot accept id ${id}`);
    const limits = { maxReceiveMessageLength: 4 * 1024 * 1024, maxSendMessageLength: MAX_INT32, ...this.opts.serverOptions };
    const engine = this.opts.engine ?? defaultEngine();
    const server = createServer({ ...limits, engine, tls: this.opts.tls });
    if (this.opts.mux) return this.acceptMux(id, server, this.opts.mux);
    let bound;
    try {
      bound = await bindServer(server, this.opts.listen);
    } catch (err) {
      server.forceShutdown();
      throw new BrokerError("ACCEPT_FAILED", id, `broker accept of id ${id} failed: ${(err as Error).message}`);
    }
    const listener: BrokerListener = {
      id,
      addr: bound.addr,
      server,
      close: () => {
        if (!this.listeners.delete(listener)) return;
        server.forceShutdown();
        bound.release();
      },
    };
    this.listeners.add(listener);
    if (this.closed) {
      listener.close();
      throw new BrokerError("CLOSED", id, `broker closed: cannot accept id ${id}`);
    }
    this.announce(create(ConnInfoSchema, { serviceId: id, network: bound.addr.network, address: bound.addr.address }));
    return listener;
  }

  /** Mux mode: streams after knocks on `id` are served by `server`; nothing is announced. */
  private acceptMux(id: number, server: Server, mux: BrokerMux): BrokerListener {
    const injector = server instanceof H2Server ? undefined : ((g) => g.createConnectionInjector(serverCredentialsOf(g)))(grpcJsServer(server));
    const unlisten = mux.listen(id, (stream) => (injector ? injector.injectConnection(stream) : (server as H2Server).accept(stream)));
    const listener: BrokerListener = {
      id,
      server,
      close: () => {
        if (!this.listeners.delete(listener)) return;
        this.muxListeners.delete(id);
        unlisten();
        injector?.destroy();
        server.forceShutdown();
      },
    };
    this.listeners.add(listener);
    this.muxListeners.add(id);
    if (this.knocks.delete(id)) this.answerKnock(id);
    return listener;
  }

  /** Lets the mux route the next stream to listener `id` and acks the knock. */
  private answerKnock(id: number): void {
    const error = this.opts.mux!.acceptKnock(id);
    this.announce(
      create(ConnInfoSchema, { serviceId: id, knock: create(ConnInfo_KnockSchema, { knock: true, ack: true, error }) }),
    );
  }

  /** `accept(id)` and serve `services` on it until the listener or broker closes. */
  async acceptAndServe(id: number, services: Iterable<ServiceRegistration>): Promise<BrokerListener> {
    const listener = await this.accept(id);
    addServices(listener.server, services);
    return listener;
  }

  /**
   * Waits for the peer's announcement of `id` and returns a channel to it,
   * for `createClient`. The broker closes it on `close()`.
   */
  async dial(id: number, opts: { timeoutMs?: number; channelOptions?: ChannelOptions } = {}): Promise<Channel> {
    if (this.opts.channelOptions) opts = { ...opts, channelOptions: { ...this.opts.channelOptions, ...opts.channelOptions } };
    if (this.opts.mux) return this.track(this.dialMux(id, this.opts.mux, opts));
    const info = await this.waitFor(id, opts.timeoutMs ?? this.opts.dialTimeoutMs ?? 5000);
    if (info.network !== "unix" && info.network !== "tcp") {
      throw new BrokerError("UNKNOWN_ADDRESS_TYPE", id, `unknown address type: ${info.address} (broker id ${id})`);
    }
    let addr: NetAddr = { network: info.network, address: info.address };
    if (this.opts.translateIncoming) addr = this.opts.translateIncoming(addr);
    grpcTarget(addr);
    return this.track(
      dialChannel(addr, {
        engine: this.opts.engine,
        tls: this.opts.tls,
        ...opts.channelOptions,
      }),
    );
  }

  /**
   * Mux mode: a channel whose every (re)connect knocks on `id`, waits for
   * the ack (5 s) and opens a stream, as go-plugin's muxDial does. The first
   * connect happens here, so a refused knock fails the dial.
   */
  private async dialMux(id: number, mux: BrokerMux, opts: { timeoutMs?: number; channelOptions?: ChannelOptions }): Promise<Channel> {
    const timeoutMs = opts.timeoutMs ?? this.opts.dialTimeoutMs ?? 5000;
    const connect = () => {
      const run = this.dialQueue.then(() => this.knockAndOpen(id, mux, timeoutMs));
      this.dialQueue = run.catch(() => {});
      return run;
    };
    const first = await connect();
    let pending: typeof first | undefined = first;
    const open = () => {
      if (pending) {
        const s = pending;
        pending = undefined;
        return Promise.resolve(s);
      }
      return connect();
    };
    const channel: Channel =
      (this.opts.engine ?? defaultEngine()) === "h2"
        ? new H2Channel(open, {
            tls: this.opts.tls,
            maxReceiveMessageLength: opts.channelOptions?.maxReceiveMessageLength ?? MAX_INT32,
            maxSendMessageLength: opts.channelOptions?.maxSendMessageLength ?? MAX_INT32,
          })
        : duplexChannel(open, { tls: this.opts.muxTls?.(), target: `broker-${id}`, maxReceiveMessageLength: opts.channelOptions?.maxReceiveMessageLength });
    observeChannel(channel, opts.channelOptions?.callObservers);
    const close = channel.close.bind(channel);
    channel.close = () => {
      pending?.destroy();
      pending = undefined;
      close();
    };
    return channel;
  }

  private async knockAndOpen(id: number, mux: BrokerMux, timeoutMs: number) {
    if (this.closed) throw new BrokerError("CLOSED", id, `broker closed: cannot dial id ${id}`);
    this.announce(create(ConnInfoSchema, { serviceId: id, knock: create(ConnInfo_KnockSchema, { knock: true }) }));
    let ack: ConnInfo;
    try {
      ack = await this.waitFor(id, timeoutMs);
    } catch (err) {
      if (err instanceof BrokerError && err.code === "DIAL_TIMEOUT") {
        throw new BrokerError(
          "DIAL_TIMEOUT",
          id,
          `failed to knock before dialling client: timeout waiting for multiplexing knock handshake on id ${id}`,
        );
      }
      throw err;
    }
    const k = ack.knock;
    if (!k?.knock || !k.ack) {
      throw new BrokerError(
        "KNOCK_FAILED",
        id,
        `failed to knock before dialling client: handshake failed for multiplexing on id ${id}; expected knock and ack, but got ${JSON.stringify(k ?? null)}`,
      );
    }
    if (k.error) {
      throw new BrokerError("KNOCK_FAILED", id, `failed to knock before dialling client: failed to knock for id ${id}: ${k.error}`);
    }
    return mux.open();
  }

  /** Keeps `ch` for `close()`; its own close() forgets it. */
  private track(ch: Channel): Channel;
  private track(ch: Promise<Channel>): Promise<Channel>;
  private track(ch: Channel | Promise<Channel>): Channel | Promise<Channel> {
    if (ch instanceof Promise) return ch.then((c) => this.track(c));
    this.channels.add(ch);
    const close = ch.close.bind(ch);
    ch.close = () => {
      this.channels.delete(ch);
      close();
    };
    return ch;
  }

  /**
   * Closes every listener and dialed channel (their calls end with CANCELLED)
   * and fails waiting dials. Idempotent.
   */
  close(): void {
    this.shutdown("broker closed: the client connection is closing", Code.CANCELLED);
  }

  /**
   * The peer process is gone: listeners and waiting dials go at once, and every
   * dialed channel's calls, pending and future, fail with UNAVAILABLE and `reason`.
   */
  peerGone(reason = "broker peer is gone"): void {
    this.shutdown(reason, Code.UNAVAILABLE);
  }

  private shutdown(reason: string, code: Code): void {
    if (!this.closed) {
      this.closed = true;
      for (const l of [...this.listeners]) l.close();
      for (const [id, e] of this.pending) {
        if (e.timer) clearTimeout(e.timer);
        for (const w of e.waiters) w(new BrokerError("CLOSED", id, `broker closed while dialing id ${id}: ${reason}`));
      }
      this.pending.clear();
      this.knocks.clear();
      this.outbox.length = 0;
    }
    for (const ch of [...this.channels]) {
      this.channels.delete(ch);
      failChannel(ch, reason, code);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private announce(info: ConnInfo): void {
    if (this.sink) this.sink.send(info);
    else this.outbox.push(info);
  }

  private waitFor(id: number, timeoutMs: number): Promise<ConnInfo> {
    if (this.closed) return Promise.reject(new BrokerError("CLOSED", id, `broker closed: cannot dial id ${id}`));
    const entry = this.pending.get(id);
    if (entry?.info) {
      if (entry.timer) clearTimeout(entry.timer);
      this.pending.delete(id);
      return Promise.resolve(entry.info);
    }
    return new Promise((resolve, reject) => {
      const e = entry ?? { waiters: [] };
      this.pending.set(id, e);
      const timer = setTimeout(() => {
        const i = e.waiters.indexOf(waiter);
        if (i >= 0) e.waiters.splice(i, 1);
        if (e.waiters.length === 0 && !e.info) this.pending.delete(id);
        reject(new BrokerError("DIAL_TIMEOUT", id, `timeout waiting for connection info for broker id ${id} after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (info: ConnInfo | Error) => {
        clearTimeout(timer);
        if (info instanceof Error) reject(info);
        else resolve(info);
      };
      e.waiters.push(waiter);
    });
  }
}
