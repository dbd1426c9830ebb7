import { drained } from "./h2-drain.js";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import { ServerSession } from "./http2/session.js";
import { ServerStream } from "./http2/stream.js";
import { defaultHttp2, type Http2Implementation } from "./h2-implementation.js";
import { messageCodec } from "./codec.js";
import { SESSION_MEMORY_MB, SESSION_WINDOW, STREAM_WINDOW } from "./h2-channel.js";
import type { HandlerContext } from "./context.js";
import { Metadata, type MetadataInit } from "./metadata.js";
import { MetadataError, readMetadata, writeMetadata } from "./metadata-wire.js";
import { Code, RpcError, toStatus } from "./status.js";
import { callTypeOf, observedMethod, startCall, type CallObserver, type CallReporter, type ObservedMethod } from "./observe.js";
import { MAX_INT32 } from "./net-addr.js";
import { decodeTimeout, encodeMessage, frame, FrameDecoder, FrameError } from "./wire.js";

/**
 * Before Node 24, two node:http2 peers that both enlarge their connection window stall for good
 * under many concurrent large messages (64 × 1 MiB echoes between a Node 20 or 22 host and plugin
 * hang until their deadlines; either side alone, or Node 24 on both, is fine). There the server
 * keeps HTTP/2's default connection window, so a Node host's enlarged one never meets another.
 */
const SESSION_WINDOW_SAFE = Number(process.versions.node.split(".")[0]) >= 24;

// RFC 9113 error code, written out: reading http2.constants would load node:http2 as this module
// is evaluated, which a plugin executable's startup snapshot cannot hold.
const NGHTTP2_CANCEL = 0x8;

/** A request stream of either implementation, as far as the server uses it. */
interface RequestStream {
  readonly closed: boolean;
  readonly destroyed: boolean;
  readonly aborted: boolean;
  readonly headersSent: boolean;
  readonly session?: { readonly socket?: { remoteAddress?: string; remotePort?: number } } | undefined;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  respond(headers: http2.OutgoingHttpHeaders, options: RespondOptions): void;
  write(chunk: Buffer): boolean;
  end(): void;
  sendTrailers(headers: http2.OutgoingHttpHeaders): void;
  close(code: number): void;
}

/** A connection of either implementation. */
interface Connection {
  readonly closed: boolean;
  once(event: "close", listener: () => void): unknown;
  close(): void;
  destroy(): void;
}

/** Mutual TLS for a server, as PEM: clients must present a certificate `ca` signed. */
export interface ServerTlsPem {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

export interface H2ServerOptions {
  /** Largest request message; default 4 MiB, grpc-go's server default. */
  maxReceiveMessageLength?: number;
  /** Largest response message; default MaxInt32. */
  maxSendMessageLength?: number;
  tls?: ServerTlsPem;
  /** Observers of every call this server handles (see `CallObserver`). */
  callObservers?: readonly CallObserver[];
  /** Default `defaultHttp2()` ($GO_PLUGIN_TS_HTTP2, else "js"). */
  http2?: Http2Implementation;
}

/** TLS server options of either implementation: the client must present a certificate `ca` signed, and speak h2. */
function mutualTls(pem: ServerTlsPem): tls.TlsOptions {
  return { ca: pem.ca, cert: pem.cert, key: pem.key, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["h2"] };
}

type AnyImpl = (arg: unknown, ctx: HandlerContext) => unknown;

interface Route {
  kind: DescMethod["methodKind"];
  name: string;
  fn?: AnyImpl;
  de: (b: Buffer) => unknown;
  ser: (v: unknown) => Buffer;
  observed: ObservedMethod;
}

/**
 * A gRPC server on node:http2. Serves what it is registered with on any number
 * of connections: its own listener, or byte streams handed to `accept`.
 */
export class H2Server {
  private readonly routes = new Map<string, Route>();
  private readonly serviceNames = new Set<string>();
  private readonly sessions = new Set<Connection>();
  private readonly streams = new Set<RequestStream>();
  /** The listener and connection handler: node:http2's server, or a net.Server feeding our sessions. */
  private readonly listener: net.Server;
  private readonly maxRecv: number;
  private readonly maxSend: number;
  /** Undefined when there are none, so a call pays one check. */
  private readonly observers?: readonly CallObserver[];
  private listening = false;
  private stopped = false;
  /** Byte streams handed to accept() go straight to a session (no TLS to run first). */
  private readonly plainJs: boolean;
  /**
   * TLS servers: every connection from its arrival until it closes. One still in its handshake belongs
   * to no session, so shutdown cuts these itself (else closing the listener would wait for them).
   */
  private readonly tlsConnections = new Set<Duplex>();

  constructor(opts: H2ServerOptions = {}) {
    this.maxRecv = opts.maxReceiveMessageLength ?? 4 * 1024 * 1024;
    this.maxSend = opts.maxSendMessageLength ?? MAX_INT32;
    if (opts.callObservers?.length) this.observers = [...opts.callObservers];
    const js = (opts.http2 ?? defaultHttp2()) === "js";
    this.plainJs = js && !opts.tls;
    if (!js) this.listener = this.nodeServer(opts.tls);
    else if (!opts.tls) this.listener = net.createServer((sock) => this.serveJs(sock));
    else {
      // HTTP/2 over TLS is negotiated with ALPN (RFC 9113 §3.2); a peer that did not ask for h2 is not served.
      const secure = tls.createServer(mutualTls(opts.tls), (sock) => (sock.alpnProtocol === "h2" ? this.serveJs(sock) : sock.destroy()));
      // A failed TLS handshake costs only its own connection, which goes at once.
      secure.on("tlsClientError", (_err: Error, sock: Duplex) => sock.destroy());
      this.listener = secure;
    }
    if (opts.tls) {
      this.listener.on("connection", (conn: Duplex) => {
        this.tlsConnections.add(conn);
        conn.once("close", () => this.tlsConnections.delete(conn));
      });
    }
    this.listener.on("error", () => {});
  }

  private serveJs(conn: Duplex): void {
    if (this.stopped) return void conn.destroy();
    const s = new ServerSession(conn, { streamWindow: STREAM_WINDOW, connectionWindow: SESSION_WINDOW });
    this.sessions.add(s);
    s.on("close", () => this.sessions.delete(s));
    s.on("stream", (stream: ServerStream, headers: Record<string, string>, raw: string[]) => this.dispatch(stream, headers, raw));
  }

  private nodeServer(pem: ServerTlsPem | undefined): net.Server {
    const common = {
      settings: { initialWindowSize: STREAM_WINDOW, maxConcurrentStreams: 2 ** 32 - 1 },
      maxSessionMemory: SESSION_MEMORY_MB,
    };
    const server = pem ? http2.createSecureServer({ ...common, ...mutualTls(pem) }) : http2.createServer(common);
    server.on("session", (s: http2.ServerHttp2Session) => {
      if (this.stopped) return void s.destroy();
      this.sessions.add(s);
      s.on("close", () => this.sessions.delete(s));
      s.on("error", () => {});
      if (SESSION_WINDOW_SAFE) {
        s.on("connect", () => !s.destroyed && s.setLocalWindowSize(SESSION_WINDOW));
        // setLocalWindowSize needs the session connected; it usually already is.
        if (!s.connecting && !s.destroyed) s.setLocalWindowSize(SESSION_WINDOW);
      }
    });
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) =>
      this.dispatch(stream as RequestStream, headers, raw),
    );
    // A failed TLS handshake or a peer speaking something else costs only its own connection.
    server.on("tlsClientError", (_err: Error, sock: Duplex) => sock.destroy());
    server.on("sessionError", () => {});
    return server;
  }

  /** Registers handlers for every method of `desc`; missing ones answer UNIMPLEMENTED. */
  register(desc: DescService, impl: Record<string, unknown>): void {
    this.serviceNames.add(desc.typeName);
    for (const m of desc.methods) {
      const path = `/${desc.typeName}/${m.name}`;
      this.routes.set(path, {
        kind: m.methodKind,
        name: m.name,
        fn: impl[m.localName] as AnyImpl | undefined,
        de: messageCodec(m.input).deserialize,
        ser: messageCodec(m.output).serialize as (v: unknown) => Buffer,
        observed: observedMethod(path, callTypeOf(m.methodKind)),
      });
    }
  }

  /** Registers a unary handler of raw message bytes on `path` (a proxy's relay). */
  registerRaw(path: string, fn: (req: Buffer, ctx: HandlerContext) => Promise<Buffer>): void {
    const svc = path.slice(1, path.lastIndexOf("/"));
    this.serviceNames.add(svc);
    const identity = (b: Buffer) => b;
    this.routes.set(path, { kind: "unary", name: path.slice(path.lastIndexOf("/") + 1), fn: fn as AnyImpl, de: identity, ser: identity as (v: unknown) => Buffer, observed: observedMethod(path, "unary") });
  }

  /** Listens on a unix socket path, or on tcp `host:port` (port 0: any); resolves with the bound port (tcp). */
  listen(target: { path: string } | { host: string; port: number }): Promise<number | undefined> {
    if (this.listening) return Promise.reject(new Error("H2Server listens on one address; hand further connections to accept()"));
    this.listening = true;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        this.listening = false;
        reject(err);
      };
      this.listener.once("error", onError);
      const done = () => {
        this.listener.off("error", onError);
        const a = this.listener.address();
        resolve(typeof a === "object" && a ? a.port : undefined);
      };
      if ("path" in target) this.listener.listen(target.path, done);
      else this.listener.listen(target.port, target.host, done);
    });
  }

  /** Serves one already-open byte stream (a socket, or a multiplexed sub-stream). */
  accept(conn: Duplex): void {
    if (this.stopped) return void conn.destroy();
    if (this.plainJs) return this.serveJs(conn);
    this.listener.emit("connection", conn);
  }

  /**
   * Graceful stop: no new connections, GOAWAY to every client, and calls in
   * flight run to their end, or for at most `graceMs`, after which the rest
   * are reset (CANCEL) and each connection ends with a clean close. Resolves
   * when every connection is closed.
   */
  tryShutdown(graceMs = Infinity): Promise<void> {
    this.stopped = true;
    if (Number.isFinite(graceMs)) {
      const t = setTimeout(() => {
        for (const st of this.streams) if (!st.destroyed) st.close(NGHTTP2_CANCEL);
      }, graceMs);
      t.unref();
    }
    const closed = [...this.sessions].map((s) => new Promise<void>((r) => (s.closed ? r() : (s.once("close", () => r()), s.close()))));
    const listener = new Promise<void>((r) => (this.listening ? this.listener.close(() => r()) : r()));
    // Once the sessions are gone, what is left never became one (a TLS handshake that stalls).
    const stragglers = Promise.all(closed).then(() => this.cutTlsConnections());
    return Promise.all([stragglers, listener]).then(() => {});
  }

  /** Immediate stop: every connection and call is cut. */
  forceShutdown(): void {
    this.stopped = true;
    if (this.listening) this.listener.close();
    for (const s of this.sessions) s.destroy();
    this.cutTlsConnections();
  }

  private cutTlsConnections(): void {
    for (const c of this.tlsConnections) c.destroy();
  }

  private dispatch(stream: RequestStream, headers: http2.IncomingHttpHeaders, raw: string[]): void {
    stream.on("error", () => {});
    this.streams.add(stream);
    stream.once("close", () => this.streams.delete(stream));
    const ct = headers["content-type"];
    if (headers[":method"] !== "POST" || typeof ct !== "string" || !ct.startsWith("application/grpc")) {
      return trailersOnly(stream, Code.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(ct ?? "")}`, 415);
    }
    const path = headers[":path"] ?? "";
    const route = this.routes.get(path);
    // Observed, a method without a handler is served as a handler answering UNIMPLEMENTED (grpc-go's stubs).
    if (route && !route.fn && !this.observers) return trailersOnly(stream, Code.UNIMPLEMENTED, `method ${route.name} not implemented`);
    if (!route) {
      const slash = path.lastIndexOf("/");
      if (!path.startsWith("/") || slash <= 0) return trailersOnly(stream, Code.UNIMPLEMENTED, `malformed method name: ${JSON.stringify(path)}`);
      const svc = path.slice(1, slash);
      const method = path.slice(slash + 1);
      const msg = this.serviceNames.has(svc) ? `unknown method ${method} for service ${svc}` : `unknown service ${svc}`;
      return trailersOnly(stream, Code.UNIMPLEMENTED, msg);
    }
    const enc = headers["grpc-encoding"];
    if (typeof enc === "string" && enc !== "identity") {
      return trailersOnly(stream, Code.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(enc)}`);
    }
    let timeoutMs: number | undefined;
    const rawTimeout = headers["grpc-timeout"];
    if (typeof rawTimeout === "string") {
      timeoutMs = decodeTimeout(rawTimeout);
      if (timeoutMs === undefined) return trailersOnly(stream, Code.INTERNAL, `transport: malformed grpc-timeout: ${rawTimeout}`);
    }
    let md: Metadata;
    try {
      md = readMetadata(raw);
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      return trailersOnly(stream, Code.INTERNAL, err.message);
    }
    new ServerCall(stream, md, route, this.maxRecv, this.maxSend, timeoutMs, this.observers).run();
  }
}

function trailersOnly(stream: RequestStream, code: Code, details: string, http = 200): void {
  if (stream.closed || stream.headersSent) return;
  stream.respond(
    { ":status": http, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeMessage(details) },
    END_STREAM,
  );
}

/**
 * respond() options without Node's automatic `date` header, which grpc-go's server never sends
 * (`sendDate` is honoured by node:http2 but missing from @types/node's options type). respond()
 * copies its options, so these are shared by every call.
 */
type RespondOptions = http2.ServerStreamResponseOptions & { sendDate: boolean };
const END_STREAM: RespondOptions = { endStream: true, sendDate: false };
const WAIT_FOR_TRAILERS: RespondOptions = { waitForTrailers: true, sendDate: false };

/** Requests of a streaming call, read by the handler as an async iterable. */
class Requests implements AsyncIterable<unknown> {
  private readonly items: unknown[] = [];
  private error?: RpcError;
  private ended = false;
  private wake?: () => void;
  /** The call's reporter, told of each request the handler reads and of the end it reads. */
  rep?: CallReporter;

  constructor(private readonly stream: RequestStream) {}

  push(msg: unknown): void {
    this.items.push(msg);
    if (this.items.length === 16) this.stream.pause();
    this.wake?.();
  }

  end(err?: RpcError): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift();
        if (this.items.length === 8) this.stream.resume();
        this.rep?.onReceive?.(item);
        yield item;
        continue;
      }
      if (this.ended) {
        this.rep?.onReceiveEnd?.();
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

/** One call being served. */
class ServerCall implements HandlerContext {
  private done = false;
  private headersSent = false;
  private trailerMd?: Metadata;
  private pendingTrailers?: http2.OutgoingHttpHeaders;
  private ac?: AbortController;
  private abortReason?: RpcError;
  private timer?: NodeJS.Timeout;
  private requests?: Requests;
  private started = false;
  private rep?: CallReporter;
  readonly deadline: Date | undefined;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly stream: RequestStream,
    readonly metadata: Metadata,
    private readonly route: Route,
    maxRecv: number,
    private readonly maxSend: number,
    timeoutMs: number | undefined,
    private readonly observers: readonly CallObserver[] | undefined,
  ) {
    this.decoder = new FrameDecoder(maxRecv);
    if (timeoutMs !== undefined) {
      this.deadline = new Date(Date.now() + timeoutMs);
      if (timeoutMs <= MAX_INT32) this.timer = setTimeout(() => this.expire(), timeoutMs);
    }
  }

  get peer(): string {
    const s = this.stream.session?.socket;
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : "unix";
  }

  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.abortReason) this.ac.abort(this.abortReason);
    }
    return this.ac.signal;
  }

  sendHeader(md: MetadataInit): void {
    if (this.headersSent || this.ended) throw new RpcError(Code.INTERNAL, "transport: the stream is done or SendHeader was called already");
    this.respondHeaders(md instanceof Metadata ? md : new Metadata(md));
  }

  setTrailer(md: MetadataInit): void {
    (this.trailerMd ??= new Metadata()).merge(md);
  }

  run(): void {
    const kind = this.route.kind;
    const streamingIn = kind === "client_streaming" || kind === "bidi_streaming";
    if (streamingIn) {
      this.requests = new Requests(this.stream);
      this.start(this.requests);
    }
    this.stream.on("data", (chunk: Buffer) => this.onData(chunk, streamingIn));
    this.stream.on("end", () => {
      // A reset stream also ends its readable side: that is a cancel ('close' below), not the end of input.
      if (this.stream.destroyed || this.stream.aborted) return;
      if (this.decoder.partial) return this.fail(Code.INTERNAL, "unexpected EOF");
      if (streamingIn) this.requests!.end();
      else if (!this.started) this.fail(Code.INTERNAL, "grpc: no request message before the end of the stream");
    });
    this.stream.on("close", () => {
      if (this.done) return;
      // The client reset the stream (or the connection went): the call is cancelled.
      this.done = true;
      if (this.timer) clearTimeout(this.timer);
      this.rep?.onEnd?.({ code: Code.CANCELLED, details: "context canceled" });
      if (this.requests) this.requests.rep = undefined;
      this.abort(new RpcError(Code.CANCELLED, "context canceled"));
    });
  }

  private onData(chunk: Buffer, streamingIn: boolean): void {
    if (this.done) return;
    let msgs: Buffer[];
    try {
      msgs = this.decoder.push(chunk);
    } catch (err) {
      const e = err as FrameError;
      return this.fail(e.code, e.message);
    }
    for (const raw of msgs) {
      if (this.done) return;
      let msg: unknown;
      try {
        msg = this.route.de(raw);
      } catch (err) {
        return this.fail(Code.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
      }
      if (streamingIn) this.requests!.push(msg);
      else if (!this.started) this.start(msg);
    }
  }

  private start(arg: unknown): void {
    this.started = true;
    const kind = this.route.kind;
    if (this.observers) {
      const rep = (this.rep = startCall(this.observers, this.route.observed, this));
      if (this.requests) this.requests.rep = rep;
      else rep?.onReceive?.(arg);
    }
    const fn = this.route.fn;
    if (!fn) return this.finish(Code.UNIMPLEMENTED, `method ${this.route.name} not implemented`);
    if (kind === "unary" || kind === "client_streaming") {
      let result: unknown;
      try {
        result = fn(arg, this);
      } catch (err) {
        return this.finishWith(err);
      }
      if (!isThenable(result)) return this.reply(result);
      result.then(
        (res) => this.reply(res),
        (err) => this.finishWith(err),
      );
      return;
    }
    void this.pipeOut(() => fn(arg, this) as AsyncIterable<unknown>);
  }

  private async pipeOut(produce: () => AsyncIterable<unknown>): Promise<void> {
    try {
      for await (const msg of produce()) {
        if (this.ended) return;
        if (!this.send(msg)) await this.drain();
        // A call cancelled while we waited asks the generator for nothing more: its next message would be lost.
        if (this.ended) return;
      }
      this.finish(Code.OK, "");
    } catch (err) {
      this.finishWith(err);
    }
  }

  private reply(res: unknown): void {
    if (this.ended) return;
    let bytes: Buffer;
    try {
      bytes = this.route.ser(res);
    } catch (err) {
      return this.fail(Code.INTERNAL, `grpc: error while marshaling: ${(err as Error).message}`);
    }
    if (bytes.byteLength > this.maxSend) {
      return this.fail(Code.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${bytes.byteLength} vs. ${this.maxSend})`);
    }
    this.respondHeaders();
    this.stream.write(frame(bytes));
    this.rep?.onSend?.(res);
    this.finish(Code.OK, "");
  }

  /** Writes one response message; false asks the caller to wait for `drain()`. */
  private send(msg: unknown): boolean {
    const bytes = this.route.ser(msg);
    if (bytes.byteLength > this.maxSend) {
      throw new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${bytes.byteLength} vs. ${this.maxSend})`);
    }
    this.respondHeaders();
    const flowing = this.stream.write(frame(bytes));
    this.rep?.onSend?.(msg);
    return flowing;
  }

  private drain(): Promise<void> {
    return drained(this.stream);
  }

  /**
   * No more can be sent: the call has its status, or its stream is already destroyed (a connection cut
   * in the same tick as the handler's answer; the stream's 'close', which ends the call, comes on a later tick).
   */
  private get ended(): boolean {
    return this.done || this.stream.destroyed;
  }

  private respondHeaders(md?: Metadata): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const h = writeMetadata(md, {});
    h[":status"] = 200;
    h["content-type"] = "application/grpc";
    this.stream.respond(h, WAIT_FOR_TRAILERS);
    this.rep?.onHeader?.();
    this.stream.once("wantTrailers", () => {
      const s = this.stream;
      if (!this.pendingTrailers || s.closed) return;
      s.sendTrailers(this.pendingTrailers);
    });
  }

  private finishWith(err: unknown): void {
    const s = toStatus(err);
    this.finish(s.code, s.details ?? "", s.metadata);
  }

  private fail(code: Code, details: string): void {
    this.abort(new RpcError(code, details));
    this.finish(code, details);
  }

  private expire(): void {
    const e = new RpcError(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
    this.abort(e);
    this.finish(e.code, e.details);
  }

  private abort(reason: RpcError): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.requests?.end(reason);
    this.ac?.abort(reason);
  }

  private finish(code: Code, details: string, md?: Metadata): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rep) {
      this.rep.onEnd?.({ code, details });
      // Reads the handler makes after the end are not the call's any more.
      if (this.requests) this.requests.rep = undefined;
    }
    if (this.stream.closed || this.stream.destroyed) return;
    const t = writeMetadata(md && this.trailerMd ? this.trailerMd.clone().merge(md) : (md ?? this.trailerMd), {});
    t["grpc-status"] = String(code);
    if (details) t["grpc-message"] = encodeMessage(details);
    try {
      if (!this.headersSent) {
        this.headersSent = true;
        t[":status"] = 200;
        t["content-type"] = "application/grpc";
        this.stream.respond(t, END_STREAM);
      } else {
        this.pendingTrailers = t;
        this.stream.end();
      }
    } catch {
      this.stream.close(NGHTTP2_CANCEL);
    }
    // A request stream still arriving after the answer is not read further.
    if (code !== Code.OK) this.requests?.end(new RpcError(code, details));
  }
}
