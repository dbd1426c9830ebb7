import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import type { GrpcJsChannel } from "./handles.js";
import { grpcJsChannelOf } from "./grpc-js-handles.js";
import { MAX_INT32 } from "./net-addr.js";
import { decodeMessage, parseStatusCode } from "./wire.js";

/**
 * The carrier seam: something that yields a fresh byte stream to one gRPC
 * server each time it is called (a yamux stream today; any Duplex works).
 */
export type ConnectDuplex = () => Promise<Duplex>;

export interface DuplexChannelOptions {
  /** TLS inside the carrier (go-plugin runs TLS in each mux stream); plaintext if absent. */
  tls?: ConnectionOptions;
  /** Largest message accepted; MaxInt32 like go-plugin's dials. */
  maxReceiveMessageLength?: number;
  /** Name shown by `getTarget()` and sent as :authority. */
  target?: string;
}

/**
 * A grpc-js `Client` whose calls run over HTTP/2 sessions on streams from
 * `connect`. It plugs into grpc-js's Channel seam, so typed clients built by
 * `createClient` work on it unchanged. A session that ends is replaced by a
 * fresh `connect()` on the next call, as a grpc-go ClientConn redials.
 */
export function duplexChannel(connect: ConnectDuplex, opts: DuplexChannelOptions = {}): GrpcJsChannel {
  return grpcJsChannelOf(
    new grpc.Client(opts.target ?? "duplex", grpc.credentials.createInsecure(), {
      channelOverride: new DuplexChannel(connect, opts),
    }),
  );
}

type StatusObject = { code: grpc.status; details: string; metadata: grpc.Metadata };
/** grpc-js's InterceptingListener (not exported by name). */
interface Listener {
  onReceiveMetadata(m: grpc.Metadata): void;
  onReceiveMessage(m: Buffer): void;
  onReceiveStatus(s: StatusObject): void;
}

let callNumber = 0;

class DuplexChannel {
  private session?: http2.ClientHttp2Session;
  private connecting?: Promise<http2.ClientHttp2Session>;
  /** The connection being set up, until its HTTP/2 settings (and TLS handshake) are done. */
  private handshaking?: http2.ClientHttp2Session;
  private closed = false;
  private readonly calls = new Set<DuplexCall>();
  private state = grpc.connectivityState.IDLE;
  private readonly watchers: Array<() => void> = [];

  constructor(
    private readonly connect: ConnectDuplex,
    readonly opts: DuplexChannelOptions,
  ) {}

  getTarget(): string {
    return this.opts.target ?? "duplex";
  }

  getConnectivityState(tryToConnect: boolean): grpc.connectivityState {
    if (tryToConnect && this.state === grpc.connectivityState.IDLE) this.getSession().catch(() => {});
    return this.state;
  }

  watchConnectivityState(current: grpc.connectivityState, deadline: Date | number, cb: (err?: Error) => void): void {
    if (this.state !== current) return void queueMicrotask(() => cb());
    const timer = setTimeout(() => {
      const i = this.watchers.indexOf(fire);
      if (i >= 0) this.watchers.splice(i, 1);
      cb(new Error("Deadline passed without connectivity state change"));
    }, Math.max(0, new Date(deadline).getTime() - Date.now()));
    const fire = () => {
      clearTimeout(timer);
      cb();
    };
    this.watchers.push(fire);
  }

  getChannelzRef(): never {
    return { kind: "channel", id: 0, name: this.getTarget() } as never;
  }

  createCall(method: string, deadline: grpc.Deadline): DuplexCall {
    const call = new DuplexCall(this, method, deadline, () => this.calls.delete(call));
    this.calls.add(call);
    return call;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.calls]) c.cancelWithStatus(grpc.status.UNAVAILABLE, "Channel closed");
    this.session?.destroy();
    this.session = undefined;
    // A connection still in its (TLS) handshake goes too; open() sees `closed` and gives up.
    this.handshaking?.destroy();
    this.setState(grpc.connectivityState.SHUTDOWN);
  }

  getSession(): Promise<http2.ClientHttp2Session> {
    if (this.closed) return Promise.reject(new Error("Channel closed"));
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<http2.ClientHttp2Session> {
    this.setState(grpc.connectivityState.CONNECTING);
    let carrier: Duplex;
    try {
      carrier = await this.connect();
    } catch (err) {
      this.setState(grpc.connectivityState.TRANSIENT_FAILURE);
      throw err;
    }
    if (this.closed) {
      carrier.destroy();
      throw new Error("Channel closed");
    }
    const tls = this.opts.tls;
    const socket = tls ? tlsConnect({ ...tls, socket: carrier, ALPNProtocols: ["h2"] }) : carrier;
    const session = http2.connect(`${tls ? "https" : "http"}://${this.getTarget()}`, {
      createConnection: () => socket,
      // Room for 1 MiB messages without a window stall, as grpc-go's BDP estimator would grow to.
      settings: { initialWindowSize: 1024 * 1024 },
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    });
    session.unref();
    const gone = () => {
      if (this.session === session) this.session = undefined;
      if (!this.closed) this.setState(grpc.connectivityState.IDLE);
    };
    session.once("close", gone);
    session.once("goaway", gone);
    session.on("error", () => gone());
    // A carrier that dies under the session takes the session with it.
    carrier.once("close", () => session.destroy());
    this.handshaking = session;
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(err);
      session.once("connect", () => {
        session.off("error", onErr);
        resolve();
      });
      session.once("error", onErr);
      session.once("close", () => reject(new Error("connection closed before HTTP/2 settings")));
    })
      .catch((err) => {
        session.destroy();
        carrier.destroy();
        if (!this.closed) this.setState(grpc.connectivityState.TRANSIENT_FAILURE);
        throw err;
      })
      .finally(() => (this.handshaking = undefined));
    if (this.closed) {
      session.destroy();
      carrier.destroy();
      throw new Error("Channel closed");
    }
    session.setLocalWindowSize?.(8 * 1024 * 1024);
    this.session = session;
    this.setState(grpc.connectivityState.READY);
    return session;
  }

  private setState(s: grpc.connectivityState): void {
    if (this.state === s) return;
    this.state = s;
    for (const w of this.watchers.splice(0)) w();
  }
}

/** One call in grpc-js's Call shape: framing, deadline, status from trailers. */
class DuplexCall {
  private req?: http2.ClientHttp2Stream;
  private listener?: Listener;
  private readonly pendingWrites: Array<{ frame: Buffer; cb?: (err?: Error | null) => void }> = [];
  private halfClosed = false;
  private readonly messages: Buffer[] = [];
  private readPending = false;
  private status?: StatusObject;
  private statusSent = false;
  private partial: Buffer = Buffer.alloc(0);
  private deadlineTimer?: NodeJS.Timeout;
  private readonly number = ++callNumber;

  constructor(
    private readonly channel: DuplexChannel,
    private readonly method: string,
    private readonly deadline: grpc.Deadline,
    private readonly done: () => void,
  ) {}

  start(metadata: grpc.Metadata, listener: Listener): void {
    this.listener = listener;
    const deadlineMs = deadlineToMs(this.deadline);
    if (deadlineMs !== undefined && deadlineMs < MAX_INT32) {
      if (deadlineMs <= 0) return this.finish({ code: grpc.status.DEADLINE_EXCEEDED, details: "Deadline exceeded", metadata: new grpc.Metadata() });
      this.deadlineTimer = setTimeout(() => this.cancelWithStatus(grpc.status.DEADLINE_EXCEEDED, "Deadline exceeded"), deadlineMs);
      this.deadlineTimer.unref?.();
    }
    this.channel.getSession().then(
      (session) => this.open(session, metadata, deadlineMs),
      (err: Error) => this.finish({ code: grpc.status.UNAVAILABLE, details: `connection failed: ${err.message}`, metadata: new grpc.Metadata() }),
    );
  }

  private open(session: http2.ClientHttp2Session, metadata: grpc.Metadata, deadlineMs: number | undefined): void {
    if (this.status) return;
    const headers: http2.OutgoingHttpHeaders = {
      ...metadata.toHttp2Headers(),
      ":method": "POST",
      ":path": this.method,
      "content-type": "application/grpc",
      te: "trailers",
    };
    // grpc-timeout has at most 8 digits; longer deadlines go out in seconds or hours.
    if (deadlineMs !== undefined) headers["grpc-timeout"] = grpcTimeout(deadlineMs);
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request(headers, { endStream: false });
    } catch (err) {
      return this.finish({ code: grpc.status.UNAVAILABLE, details: (err as Error).message, metadata: new grpc.Metadata() });
    }
    this.req = req;
    req.on("response", (h) => {
      if (h["grpc-status"] !== undefined) this.status = statusFrom(h); // trailers-only
      else this.listener?.onReceiveMetadata(grpc.Metadata.fromHttp2Headers(h));
      if (h[":status"] !== 200 && !this.status) {
        this.status = { code: httpToGrpc(Number(h[":status"])), details: `Received HTTP status code ${h[":status"]}`, metadata: new grpc.Metadata() };
      }
    });
    req.on("data", (chunk: Buffer) => this.onData(chunk));
    req.on("trailers", (t) => (this.status ??= statusFrom(t)));
    req.on("error", () => {});
    req.on("close", () => {
      if (!this.status && req.readableEnded && !req.rstCode) {
        // The server ended its side with no trailers: grpc-go's INTERNAL, not a lost connection.
        this.status = { code: grpc.status.INTERNAL, details: "server closed the stream without sending trailers", metadata: new grpc.Metadata() };
      }
      if (!this.status) {
        const code = req.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM ? grpc.status.UNAVAILABLE : req.rstCode === http2.constants.NGHTTP2_CANCEL ? grpc.status.CANCELLED : grpc.status.UNAVAILABLE;
        this.status = { code, details: `stream closed (http2 code ${req.rstCode})`, metadata: new grpc.Metadata() };
      }
      this.maybeFinish();
    });
    for (const w of this.pendingWrites.splice(0)) this.sendFrame(req, w.frame, w.cb);
    if (this.halfClosed) req.end();
  }

  private onData(chunk: Buffer): void {
    let buf: Buffer = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      const max = this.channel.opts.maxReceiveMessageLength ?? MAX_INT32;
      if (buf[0] !== 0) return this.cancelWithStatus(grpc.status.INTERNAL, "compressed message received without negotiated compression");
      if (len > max) return this.cancelWithStatus(grpc.status.RESOURCE_EXHAUSTED, `Received message larger than max (${len} vs. ${max})`);
      if (buf.length < 5 + len) break;
      this.messages.push(buf.subarray(5, 5 + len));
      buf = buf.subarray(5 + len);
    }
    this.partial = buf;
    this.deliver();
  }

  private deliver(): void {
    if (this.readPending && this.messages.length) {
      this.readPending = false;
      this.listener?.onReceiveMessage(this.messages.shift()!);
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.status && !this.statusSent && this.messages.length === 0 && (this.req?.closed ?? true)) this.emitStatus();
  }

  private finish(status: StatusObject): void {
    this.status ??= status;
    this.messages.length = 0;
    this.releaseWrites();
    this.maybeFinish();
  }

  private emitStatus(): void {
    this.statusSent = true;
    clearTimeout(this.deadlineTimer);
    this.done();
    this.listener?.onReceiveStatus(this.status!);
  }

  sendMessageWithContext(ctx: { callback?: (err?: Error | null) => void }, message: Buffer): void {
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame[0] = 0;
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    if (this.req) this.sendFrame(this.req, frame, ctx.callback);
    else if (this.status) ctx.callback?.();
    else this.pendingWrites.push({ frame, cb: ctx.callback });
  }

  private sendFrame(req: http2.ClientHttp2Stream, frame: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.status || req.destroyed || req.writableEnded) return cb?.();
    // As grpc-js does: a failed write ends the call with a status, and the writer's callback never
    // carries the error (grpc-js would emit it on a stream nobody listens to, killing the process).
    req.write(frame, (err?: Error | null) => {
      if (err) this.cancelWithStatus(grpc.status.UNAVAILABLE, `write failed: ${err.message}`);
      cb?.();
    });
  }

  /** Writes queued before the stream opened will never go out: their writers are told they are done. */
  private releaseWrites(): void {
    const queued = this.pendingWrites.splice(0);
    if (queued.length) process.nextTick(() => queued.forEach((w) => w.cb?.()));
  }

  startRead(): void {
    this.readPending = true;
    this.deliver();
  }

  halfClose(): void {
    this.halfClosed = true;
    this.req?.end();
  }

  cancelWithStatus(code: grpc.status, details: string): void {
    if (this.statusSent) return;
    this.status = { code, details, metadata: new grpc.Metadata() };
    this.messages.length = 0;
    this.releaseWrites();
    if (this.req && !this.req.closed) this.req.close(http2.constants.NGHTTP2_CANCEL);
    // The call ends now, as grpc-js's own cancelWithStatus does: over a TLS-in-mux carrier the
    // reset stream's "close" can come late or not at all, and the caller would wait for it.
    this.emitStatus();
  }

  getPeer(): string {
    return this.channel.getTarget();
  }
  getCallNumber(): number {
    return this.number;
  }
  setCredentials(): void {
    // Per-call credentials are not used by go-plugin traffic.
  }
  getAuthContext(): null {
    return null;
  }
}

function grpcTimeout(ms: number): string {
  const v = Math.max(1, Math.ceil(ms));
  if (v < 1e8) return `${v}m`;
  if (v / 1000 < 1e8) return `${Math.ceil(v / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(v / 3_600_000))}H`;
}

function deadlineToMs(d: grpc.Deadline): number | undefined {
  const t = d instanceof Date ? d.getTime() : d;
  if (t === Infinity) return undefined;
  return t - Date.now();
}

function statusFrom(h: http2.IncomingHttpHeaders): StatusObject {
  const raw = h["grpc-status"];
  const code = typeof raw === "string" ? parseStatusCode(raw) : grpc.status.UNKNOWN;
  const message = h["grpc-message"];
  const md = grpc.Metadata.fromHttp2Headers(h);
  md.remove("grpc-status");
  md.remove("grpc-message");
  if (code instanceof Error) return { code: grpc.status.UNKNOWN, details: code.message, metadata: md };
  return { code, details: typeof message === "string" ? decodeMessage(message) : "", metadata: md };
}

/** gRPC's HTTP-to-status mapping for responses that are not gRPC. */
function httpToGrpc(s: number): grpc.status {
  switch (s) {
    case 400:
      return grpc.status.INTERNAL;
    case 401:
      return grpc.status.UNAUTHENTICATED;
    case 403:
      return grpc.status.PERMISSION_DENIED;
    case 404:
      return grpc.status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return grpc.status.UNAVAILABLE;
    default:
      return grpc.status.UNKNOWN;
  }
}
