import { drained } from "./h2-drain.js";
import * as http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from "node:tls";
import { addAbortSignal, type Duplex } from "node:stream";
import { Metadata, type MetadataInit } from "./metadata.js";
import { MetadataError, readMetadata, writeMetadata } from "./metadata-wire.js";
import { Code, RpcError } from "./status.js";
import { MAX_INT32, tcpConnectOptions, type NetAddr } from "./net-addr.js";
import { DeferredDuplex } from "./deferred-duplex.js";
import { USER_AGENT } from "./user-agent.js";
import { SessionKeepalive, type KeepaliveSettings, type PingableSession } from "./h2-keepalive.js";
import { defaultHttp2, type Http2Implementation } from "./h2-implementation.js";
import { ClientSession } from "./http2/client-session.js";
import {
  codeOfHttpStatus,
  codeOfRstCode,
  decodeMessage,
  encodeTimeout,
  frame,
  FrameDecoder,
  FrameError,
  parseStatusCode,
} from "./wire.js";

// RFC 9113 codes and flag, written out: reading http2.constants would load node:http2 as this module
// is evaluated, which a plugin executable's startup snapshot cannot hold.
const NGHTTP2_CANCEL = 0x8;
const NGHTTP2_ENHANCE_YOUR_CALM = 0xb;
const NGHTTP2_FLAG_END_STREAM = 0x1;
const NGHTTP2_REFUSED_STREAM = 0x7;

/** A client connection of either HTTP/2 implementation, as far as the channel uses it. */
interface Connection extends PingableSession {
  readonly closed: boolean;
  request(headers: http2.OutgoingHttpHeaders, options: { endStream: boolean }): RequestStream;
  on(event: string, listener: (...args: any[]) => void): unknown;
  setLocalWindowSize(size: number): void;
  ref(): void;
  unref(): void;
  close(): void;
  destroy(): void;
}

/** A request stream of either implementation, as far as a call uses it. */
interface RequestStream {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** The server ended its side (END_STREAM). */
  readonly readableEnded: boolean;
  readonly rstCode?: number;
  readonly session?: unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** Why each connection failed, for the UNAVAILABLE status of the calls it takes down. */
const sessionErrors = new WeakMap<Connection, Error>();

function connectionError(session: Connection): string | undefined {
  const e = sessionErrors.get(session);
  return e ? `connection error: ${escapeControls(e.message)}` : undefined;
}

/**
 * Socket errors quote the address as dialled; a path may hold line breaks or
 * control characters, which must not reach a status message (or a log) raw.
 */
function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Mutual TLS for a channel, as PEM. */
export interface ChannelTls {
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name checked in the server's certificate; default `localhost` (go-plugin's certificates). */
  serverName?: string;
}

export interface H2ChannelOptions {
  tls?: ChannelTls;
  /** Largest message sent; default MaxInt32 as a go-plugin client. */
  maxSendMessageLength?: number;
  /** Largest message accepted; default MaxInt32 as a go-plugin client. */
  maxReceiveMessageLength?: number;
  /** PINGs while calls are active; none when absent (as grpc-js without keepalive options). */
  keepalive?: KeepaliveSettings;
  /** What carries HTTP/2; default `defaultHttp2()` ($GO_PLUGIN_TS_HTTP2, else the library's own). */
  http2?: Http2Implementation;
}

/**
 * Where a channel connects: an address, or a function opening the byte stream
 * for each connection (a multiplexed sub-stream; it may come asynchronously).
 */
export type ChannelTarget = NetAddr | (() => Duplex | Promise<Duplex>);

/** HTTP/2 windows sized so a 1 MiB message needs no window update round trip. */
export const STREAM_WINDOW = 4 * 1024 * 1024;
export const SESSION_WINDOW = 16 * 1024 * 1024;
/** nghttp2's per-session memory cap, in MB; the default (10) refuses streams under 1000 concurrent calls. */
export const SESSION_MEMORY_MB = 256;

/** The final status of a call, with the trailing metadata that came with it. */
export interface CallStatus {
  code: Code;
  details: string;
  metadata: Metadata;
}

/** What a call reports to its owner; every call reports `onStatus` exactly once, last. */
export interface CallListener {
  onHeaders?(md: Metadata): void;
  onMessage(msg: Buffer): void;
  onStatus(status: CallStatus): void;
}

export interface StartOptions {
  metadata?: MetadataInit;
  /** Absolute deadline in ms since the epoch. */
  deadline?: number;
  signal?: AbortSignal;
}

/**
 * A gRPC channel over HTTP/2 (the library's own client, or node:http2's): one
 * connection opened on first use and reopened after the peer's GOAWAY or a lost
 * connection.
 */
export class H2Channel {
  private session?: Connection;
  private closed = false;
  private failure?: { code: Code; details: string };
  private readonly calls = new Set<ClientCall>();
  /** Calls in flight per connection: a connection keeps the process alive only while it has some. */
  private readonly active = new WeakMap<Connection, number>();
  private readonly keepalives = new WeakMap<Connection, SessionKeepalive>();
  /** Doubled after each GOAWAY "too_many_pings", as grpc-js does. */
  private keepaliveTimeMs?: number;
  private readonly maxSend: number;
  private readonly maxRecv: number;
  private readonly authority: string;
  private readonly js: boolean;

  constructor(
    readonly target: ChannelTarget,
    private readonly opts: H2ChannelOptions = {},
  ) {
    this.maxSend = opts.maxSendMessageLength ?? MAX_INT32;
    this.maxRecv = opts.maxReceiveMessageLength ?? MAX_INT32;
    this.keepaliveTimeMs = opts.keepalive?.timeMs;
    const tcp = typeof target !== "function" && target.network === "tcp" ? target.address : undefined;
    this.authority = `${opts.tls ? "https" : "http"}://${tcp?.startsWith(":") ? `127.0.0.1${tcp}` : (tcp ?? "localhost")}`;
    this.js = (opts.http2 ?? defaultHttp2()) === "js";
  }

  /**
   * Ends every call in flight with `code` and `details`, closes the channel,
   * and fails later calls the same way at once (the grpc-js path's `failChannel`).
   */
  fail(details: string, code: Code = Code.UNAVAILABLE): void {
    if (!this.failure) {
      this.failure = { code, details };
      for (const call of [...this.calls]) call.cancel(code, details);
      this.calls.clear();
    }
    this.close();
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** @internal */
  track(call: ClientCall, live: boolean): void {
    if (live) this.calls.add(call);
    else this.calls.delete(call);
  }

  /** Closes the connection once its calls have ended; new calls fail. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private connection(): Connection {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const session = this.js ? this.jsConnection() : this.nodeConnection();
    session.on("connect", () => {
      if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW);
    });
    // A GOAWAY or failure retires the connection; its running calls end on their own.
    const retire = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on("goaway", (code: number, _last: number, data?: Buffer) => {
      // The peer finds our PINGs too frequent: slow down on the next connection.
      if (code === NGHTTP2_ENHANCE_YOUR_CALM && data?.toString() === "too_many_pings" && this.keepaliveTimeMs !== undefined) {
        this.keepaliveTimeMs = Math.min(this.keepaliveTimeMs * 2, MAX_INT32);
      }
      // An error GOAWAY takes the connection down with its streams: say why, as grpc-go does.
      if (code !== 0 && !sessionErrors.has(session)) {
        const debug = data?.length ? `, debug data: ${JSON.stringify(data.toString())}` : "";
        sessionErrors.set(session, new Error(`received goaway: code ${code}${debug}`));
      }
      retire();
      session.close();
    });
    session.on("close", () => {
      keepalive?.stop();
      retire();
    });
    session.on("error", (err) => {
      if (!sessionErrors.has(session)) sessionErrors.set(session, err);
      retire();
    });
    const ka = this.opts.keepalive;
    const keepalive =
      ka && this.keepaliveTimeMs !== undefined
        ? new SessionKeepalive(session, { timeMs: this.keepaliveTimeMs, timeoutMs: ka.timeoutMs }, (details) => {
            if (!sessionErrors.has(session)) sessionErrors.set(session, new Error(details));
            retire();
            session.destroy();
          })
        : undefined;
    if (keepalive) this.keepalives.set(session, keepalive);
    // Idle channels must not keep the process alive, as grpc-js's don't; calls in flight do.
    session.unref();
    this.session = session;
    return session;
  }

  // In both, the socket's own error comes before the session tears down its streams,
  // so it is recorded there, for the UNAVAILABLE status of those streams.

  private nodeConnection(): Connection {
    const session: http2.ClientHttp2Session = http2.connect(this.authority, {
      createConnection: () => {
        const socket = this.openSocket();
        socket.once("error", (err) => sessionErrors.set(session as unknown as Connection, err));
        return socket;
      },
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      maxSessionMemory: SESSION_MEMORY_MB,
      peerMaxConcurrentStreams: 2 ** 31 - 1,
    });
    return session as unknown as Connection;
  }

  private jsConnection(): Connection {
    const socket = this.openSocket();
    const url = new URL(this.authority);
    const session = new ClientSession(socket, {
      scheme: this.opts.tls ? "https" : "http",
      authority: url.host,
      streamWindow: STREAM_WINDOW,
      connectionWindow: SESSION_WINDOW,
    });
    socket.once("error", (err) => sessionErrors.set(session, err));
    return session as Connection;
  }

  private openSocket(): Duplex {
    const t = this.target;
    const tls = this.opts.tls;
    const raw: Duplex | undefined =
      typeof t === "function" ? carrier(t) : t.network === "unix" ? netConnect(t.address) : undefined;
    if (!tls) {
      if (raw) return raw;
      return netConnect(tcpConnectOptions((t as NetAddr).address));
    }
    const name = tls.serverName ?? "localhost";
    const tlsOpts = {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      ALPNProtocols: ["h2"],
      servername: name,
      checkServerIdentity: (_host: string, peer: PeerCertificate) => checkServerIdentity(name, peer),
    };
    const secure = raw ? tlsConnect({ ...tlsOpts, socket: raw as never }) : tlsConnect({ ...tlsOpts, ...tcpConnectOptions((t as NetAddr).address) });
    // node:http2 checks the protocol ALPN chose itself; for the library's own client it is checked here.
    if (this.js) {
      secure.once("secureConnect", () => {
        if (secure.alpnProtocol !== "h2") secure.destroy(new Error(`the server did not choose HTTP/2 with ALPN (chose ${JSON.stringify(secure.alpnProtocol)})`));
      });
    }
    return secure;
  }

  /** Starts a call on `path` ("/pkg.Service/Method"). */
  start(path: string, listener: CallListener, opts: StartOptions = {}): ClientCall {
    return new ClientCall(this, path, listener, opts, this.maxSend, this.maxRecv);
  }

  /** @internal */
  openStream(headers: http2.OutgoingHttpHeaders): RequestStream {
    if (this.failure) throw new RpcError(this.failure.code, this.failure.details);
    if (this.closed) throw new RpcError(Code.UNAVAILABLE, "grpc: the client connection is closing");
    const session = this.connection();
    const stream = session.request(headers, { endStream: false });
    const n = this.active.get(session) ?? 0;
    this.active.set(session, n + 1);
    if (n === 0) session.ref();
    const keepalive = this.keepalives.get(session);
    keepalive?.callStarted();
    stream.once("close", () => {
      keepalive?.callEnded();
      const left = this.active.get(session)! - 1;
      this.active.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }
}

function carrier(open: () => Duplex | Promise<Duplex>): Duplex {
  let s: Duplex | Promise<Duplex>;
  try {
    s = open();
  } catch (err) {
    s = Promise.reject(err as Error);
  }
  return s instanceof Promise ? new DeferredDuplex(() => s) : s;
}


/** Bytes of a call's request kept for a transparent retry (a stream the server refused unseen). */
const RETRY_BUFFER = 1024 * 1024;

/** One call on an H2Channel: sends framed messages, reports messages and the final status. */
export class ClientCall {
  private stream?: RequestStream;
  private done = false;
  private timer?: NodeJS.Timeout;
  private trailers?: http2.IncomingHttpHeaders;
  private rawTrailers: string[] = [];
  private responded = false;
  /** Request frames sent so far, while a transparent retry is still possible. */
  private sent?: Buffer[] = [];
  private sentBytes = 0;
  private halfClosed = false;
  private retried = false;
  private readonly decoder: FrameDecoder;
  private readonly onAbort?: () => void;
  private readonly signal?: AbortSignal;
  private readonly headers: http2.OutgoingHttpHeaders;
  private session!: Connection;

  constructor(
    private readonly channel: H2Channel,
    path: string,
    private readonly listener: CallListener,
    opts: StartOptions,
    private readonly maxSend: number,
    maxRecv: number,
  ) {
    this.decoder = new FrameDecoder(maxRecv);
    const md = opts.metadata === undefined || opts.metadata instanceof Metadata ? opts.metadata : new Metadata(opts.metadata);
    const headers: http2.OutgoingHttpHeaders = (this.headers = writeMetadata(md, {}));
    headers[":method"] = "POST";
    headers[":path"] = path;
    headers["content-type"] = "application/grpc";
    headers.te = "trailers";
    headers["user-agent"] = USER_AGENT;
    if (opts.signal?.aborted) {
      this.finishLater(Code.CANCELLED, "context canceled");
      return;
    }
    if (opts.deadline !== undefined) {
      const left = opts.deadline - Date.now();
      if (left <= 0) {
        this.finishLater(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
        return;
      }
      headers["grpc-timeout"] = encodeTimeout(left);
      // Past a timer's range (~24.8 days) the deadline is as good as none here; the peer still gets it.
      if (left <= MAX_INT32) this.timer = setTimeout(() => this.cancel(Code.DEADLINE_EXCEEDED, "context deadline exceeded"), left);
    }
    if (!this.open()) return;
    if (opts.signal) {
      this.signal = opts.signal;
      this.onAbort = () => this.cancel(Code.CANCELLED, "context canceled");
      opts.signal.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  private open(): boolean {
    let stream: RequestStream;
    try {
      stream = this.channel.openStream(this.headers);
    } catch (err) {
      const e = RpcError.from(err);
      this.finishLater(e.code === Code.UNKNOWN ? Code.UNAVAILABLE : e.code, e.details);
      return false;
    }
    this.stream = stream;
    this.session = stream.session as Connection;
    this.channel.track(this, true);
    // Node passes the raw header list third (repeated fields stay separate); its typings omit it.
    stream.on("response", ((h: http2.IncomingHttpHeaders, flags: number, raw: string[]) => this.onResponse(h, flags, raw)) as never);
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("trailers", ((h: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      this.trailers = h;
      this.rawTrailers = raw;
    }) as never);
    stream.on("error", () => {});
    stream.on("close", () => this.onClose(stream));
    return true;
  }

  private write(buf: Buffer, last: boolean): boolean {
    if (this.sent) {
      this.sentBytes += buf.length;
      if (this.sentBytes > RETRY_BUFFER) this.sent = undefined;
      else this.sent.push(buf);
    }
    if (last) {
      this.halfClosed = true;
      this.stream!.end(buf);
      return true;
    }
    return this.stream!.write(buf);
  }

  /** The call has its final status (or is about to report it): nothing more will be sent. */
  get ended(): boolean {
    return this.done;
  }

  /** Sends one message; false means wait for `waitDrain()` before the next. */
  send(msg: Uint8Array): boolean {
    if (this.done || !this.stream) return true;
    if (msg.byteLength > this.maxSend) {
      this.cancel(Code.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${msg.byteLength} vs. ${this.maxSend})`);
      return true;
    }
    return this.write(frame(msg), false);
  }

  /** Sends the last message and half-closes in one write. */
  sendLast(msg: Uint8Array): void {
    if (this.done || !this.stream) return;
    if (msg.byteLength > this.maxSend) {
      this.cancel(Code.RESOURCE_EXHAUSTED, `grpc: trying to send message larger than max (${msg.byteLength} vs. ${this.maxSend})`);
      return;
    }
    this.write(frame(msg), true);
  }

  /** Resolves when the stream can take more, or the call has ended. */
  waitDrain(): Promise<void> {
    const s = this.stream;
    if (this.done || !s) return Promise.resolve();
    return drained(s);
  }

  /** Stops reading responses (HTTP/2 flow control then holds the peer back). */
  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  /** No more messages from this side. */
  halfClose(): void {
    if (this.done || !this.stream || this.stream.writableEnded) return;
    this.halfClosed = true;
    this.stream.end();
  }

  /** Ends the call with `code` now and resets the stream (RST_STREAM CANCEL). */
  cancel(code: Code = Code.CANCELLED, details = "context canceled"): void {
    if (this.done) return;
    this.finish(code, details, new Metadata());
    const s = this.stream;
    // Destroying with an AbortError resets with CANCEL without first ending our
    // side: close() would send END_STREAM, which a peer reads as a normal end of input.
    if (s && !s.destroyed) addAbortSignal(AbortSignal.abort(), s as never);
  }

  private onResponse(h: http2.IncomingHttpHeaders, flags: number, raw: string[]): void {
    if (this.done) return;
    this.responded = true;
    this.sent = undefined;
    if (flags & NGHTTP2_FLAG_END_STREAM) {
      // Trailers-only: the status is in these headers.
      this.trailers = h;
      this.rawTrailers = raw;
      return;
    }
    const http = Number(h[":status"]);
    const ct = h["content-type"];
    if (http !== 200 || typeof ct !== "string" || !ct.startsWith("application/grpc")) {
      const code = http !== 200 ? codeOfHttpStatus(http) : Code.UNKNOWN;
      const why = http !== 200 ? `unexpected HTTP status code received from server: ${http}` : `unexpected content-type "${ct}"`;
      this.cancel(code, why);
      return;
    }
    let md: Metadata;
    try {
      md = readMetadata(raw);
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      return this.cancel(Code.INTERNAL, err.message);
    }
    this.listener.onHeaders?.(md);
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    let msgs: Buffer[];
    try {
      msgs = this.decoder.push(chunk);
    } catch (err) {
      const e = err as FrameError;
      this.cancel(e.code, e.message);
      return;
    }
    for (const m of msgs) {
      if (this.done) return;
      this.listener.onMessage(m);
    }
  }

  /**
   * A stream the server never processed (REFUSED_STREAM, as after its GOAWAY)
   * is sent again once on a new connection, as grpc-go's transparent retry does.
   */
  private retry(): boolean {
    if (this.retried || this.responded || !this.sent) return false;
    this.retried = true;
    const frames = this.sent;
    if (!this.open()) return true;
    for (const f of frames) this.stream!.write(f);
    if (this.halfClosed) this.stream!.end();
    return true;
  }

  private onClose(stream: RequestStream): void {
    if (this.done || stream !== this.stream) return;
    const t = this.trailers;
    if (t) {
      const raw = t["grpc-status"];
      const http = t[":status"];
      if (raw === undefined && http !== undefined && Number(http) !== 200) {
        return this.finish(codeOfHttpStatus(Number(http)), `unexpected HTTP status code received from server: ${http}`, new Metadata());
      }
      let md: Metadata;
      try {
        md = readMetadata(this.rawTrailers);
      } catch (err) {
        if (!(err instanceof MetadataError)) throw err;
        return this.finish(Code.INTERNAL, err.message, new Metadata());
      }
      // As grpc-go: no grpc-status is UNKNOWN with the server's message; a malformed one is UNKNOWN naming it.
      const code = typeof raw === "string" ? parseStatusCode(raw) : Code.UNKNOWN;
      if (code instanceof Error) return this.finish(Code.UNKNOWN, code.message, md);
      const details = typeof t["grpc-message"] === "string" ? decodeMessage(t["grpc-message"]) : "";
      if (this.decoder.partial && code === Code.OK) {
        return this.finish(Code.INTERNAL, "unexpected EOF", md);
      }
      return this.finish(code, details, md);
    }
    const rst = stream.rstCode;
    if (rst === NGHTTP2_REFUSED_STREAM && this.retry()) return;
    const session = this.session;
    if (session.destroyed || sessionErrors.has(session)) {
      // The connection went (peer gone, socket closed): as grpc-go, UNAVAILABLE.
      return this.finish(Code.UNAVAILABLE, connectionError(session) ?? "connection closed", new Metadata());
    }
    if (!this.responded && rst !== NGHTTP2_CANCEL) {
      const why = connectionError(this.session) ?? (rst ? `stream terminated by RST_STREAM with error code: ${rst}` : "connection closed");
      return this.finish(Code.UNAVAILABLE, why, new Metadata());
    }
    if (rst !== undefined && rst !== 0) {
      return this.finish(codeOfRstCode(rst), `stream terminated by RST_STREAM with error code: ${rst}`, new Metadata());
    }
    // The server ended its side (END_STREAM on DATA) with no trailers: grpc-go's INTERNAL, not a lost connection.
    if (stream.readableEnded) return this.finish(Code.INTERNAL, "server closed the stream without sending trailers", new Metadata());
    this.finish(Code.UNAVAILABLE, "connection closed before the call ended", new Metadata());
  }

  private finishLater(code: Code, details: string): void {
    this.done = true;
    this.sent = undefined;
    this.channel.track(this, false);
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbort) this.signal!.removeEventListener("abort", this.onAbort);
    // On the next turn of the event loop, not in a microtask: a caller that retries
    // in a loop on a failed channel must not starve timers and I/O (grpc-js's failed calls wait a turn too).
    setImmediate(() => this.listener.onStatus({ code, details, metadata: new Metadata() }));
  }

  private finish(code: Code, details: string, metadata: Metadata): void {
    if (this.done) return;
    this.done = true;
    this.sent = undefined;
    this.channel.track(this, false);
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbort) this.signal!.removeEventListener("abort", this.onAbort);
    this.listener.onStatus({ code, details, metadata });
  }
}
