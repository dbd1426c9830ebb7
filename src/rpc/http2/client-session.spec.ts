// ClientSession driven by a server written here frame by frame over a unix
// socket. The server keeps its own flow-control books and flags any DATA
// beyond a window or any frame beyond its frame size. What grpc-go's server
// does is covered by every go-plugin and LOOP suite (the TS host's channels run
// on this client), and odd servers by test/http2-client.test.ts (h2probe).
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { Duplex } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameReader,
  FrameType,
  MAX_ALLOWED_FRAME_SIZE,
  Setting,
  frameBytes,
  goawayFrame,
  headerFrames,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  type Frame,
} from "./frame.js";
import { HpackDecoder, HpackEncoder } from "./hpack.js";
import { ClientSession } from "./client-session.js";
import type { ClientStream } from "./client-stream.js";

type Event =
  | { kind: "data"; streamId: number; length: number; end: boolean }
  | { kind: "headers"; streamId: number; fields: Record<string, string>; end: boolean }
  | { kind: "rst"; streamId: number; code: number }
  | { kind: "goaway"; lastStreamId: number; code: number }
  | { kind: "ping"; ack: boolean; payload: string }
  | { kind: "settings"; ack: boolean; values: [number, number][] }
  | { kind: "window"; streamId: number; increment: number }
  | { kind: "eof" };

const STREAM_WINDOW = 4 * 1024 * 1024;
const SESSION_WINDOW = 16 * 1024 * 1024;
const OK = [":status", "200", "content-type", "application/grpc"];

/** The server's side: checks the preface, writes frames, reads and books what the client sends. */
class Server {
  readonly events: Event[] = [];
  readonly violations: string[] = [];
  /** What we may still send (the client's windows). */
  sendConn = DEFAULT_WINDOW;
  readonly sendStream = new Map<number, number>();
  clientInitialWindow = DEFAULT_WINDOW;
  /** What the client may still send us (our windows, as we granted them). */
  recvConn = DEFAULT_WINDOW;
  readonly recvStream = new Map<number, number>();
  initialWindow = DEFAULT_WINDOW;
  prefaceOk: boolean | undefined;
  private prefaceSeen = Buffer.alloc(0);
  private readonly reader = new FrameReader(MAX_ALLOWED_FRAME_SIZE);
  private readonly decoder = new HpackDecoder();
  readonly encoder = new HpackEncoder();
  private block?: { streamId: number; flags: number; parts: Buffer[] };
  private waiters: (() => void)[] = [];

  constructor(readonly sock: net.Socket) {
    sock.on("data", (b: Buffer) => {
      if (this.prefaceOk === undefined) {
        this.prefaceSeen = Buffer.concat([this.prefaceSeen, b]);
        if (this.prefaceSeen.length < CLIENT_PREFACE.length) return;
        this.prefaceOk = this.prefaceSeen.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE);
        b = this.prefaceSeen.subarray(CLIENT_PREFACE.length);
      }
      this.reader.push(b, (f) => (this.onFrame(f), true));
    });
    sock.on("end", () => this.record({ kind: "eof" }));
    sock.on("error", () => {});
  }

  write(...frames: Buffer[]): void {
    this.sock.write(Buffer.concat(frames));
  }

  /** Our SETTINGS, booked as the client will apply them. */
  settings(values: [number, number][] = []): void {
    for (const [id, v] of values) {
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        for (const [sid, w] of this.recvStream) this.recvStream.set(sid, w + v - this.initialWindow);
        this.initialWindow = v;
      }
    }
    this.write(settingsFrame(values));
  }

  headers(streamId: number, fields: string[], end: boolean, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): void {
    this.write(headerFrames(streamId, this.encoder.encode(fields), end, maxFrameSize));
  }

  /** DATA within the client's windows (the caller makes sure they allow it). */
  data(streamId: number, payload: Buffer, end = false, pad = 0): void {
    const size = payload.length + (pad ? pad + 1 : 0);
    this.sendConn -= size;
    this.sendStream.set(streamId, this.sendStream.get(streamId)! - size);
    const body = pad ? Buffer.concat([Buffer.from([pad]), payload, Buffer.alloc(pad)]) : payload;
    this.write(frameBytes(FrameType.DATA, (end ? Flag.END_STREAM : 0) | (pad ? Flag.PADDED : 0), streamId, body));
  }

  credit(streamId: number, n: number): void {
    if (streamId === 0) this.recvConn += n;
    else this.recvStream.set(streamId, (this.recvStream.get(streamId) ?? 0) + n);
    this.write(windowUpdateFrame(streamId, n));
  }

  until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-8))}`));
      }, ms);
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  of<K extends Event["kind"]>(kind: K): Extract<Event, { kind: K }>[] {
    return this.events.filter((e) => e.kind === kind) as Extract<Event, { kind: K }>[];
  }

  dataOn(streamId: number): number {
    return this.of("data")
      .filter((e) => e.streamId === streamId)
      .reduce((n, e) => n + e.length, 0);
  }

  private record(e: Event): void {
    this.events.push(e);
    for (const w of [...this.waiters]) w();
  }

  private onFrame(f: Frame): void {
    if (f.payload.length > DEFAULT_MAX_FRAME_SIZE) this.violations.push(`frame of ${f.payload.length} bytes`);
    if (this.block && f.type !== FrameType.CONTINUATION) this.violations.push("frame inside a header block");
    switch (f.type) {
      case FrameType.DATA: {
        const n = f.payload.length;
        this.recvConn -= n;
        const w = this.recvStream.get(f.streamId)! - n;
        this.recvStream.set(f.streamId, w);
        if (this.recvConn < 0 || w < 0) this.violations.push(`DATA beyond a window on ${f.streamId}`);
        return this.record({ kind: "data", streamId: f.streamId, length: n, end: (f.flags & Flag.END_STREAM) !== 0 });
      }
      case FrameType.HEADERS:
        this.block = { streamId: f.streamId, flags: f.flags, parts: [Buffer.from(f.payload)] };
        if (!this.recvStream.has(f.streamId)) {
          this.recvStream.set(f.streamId, this.initialWindow);
          this.sendStream.set(f.streamId, this.clientInitialWindow);
        }
        break;
      case FrameType.CONTINUATION:
        this.block!.parts.push(Buffer.from(f.payload));
        break;
      case FrameType.RST_STREAM:
        return this.record({ kind: "rst", streamId: f.streamId, code: f.payload.readUInt32BE(0) });
      case FrameType.GOAWAY:
        return this.record({ kind: "goaway", lastStreamId: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4) });
      case FrameType.PING:
        return this.record({ kind: "ping", ack: (f.flags & Flag.ACK) !== 0, payload: f.payload.toString("hex") });
      case FrameType.WINDOW_UPDATE: {
        const inc = f.payload.readUInt32BE(0);
        if (f.streamId === 0) this.sendConn += inc;
        else this.sendStream.set(f.streamId, this.sendStream.get(f.streamId)! + inc);
        return this.record({ kind: "window", streamId: f.streamId, increment: inc });
      }
      case FrameType.SETTINGS: {
        const values: [number, number][] = [];
        for (let at = 0; at < f.payload.length; at += 6) values.push([f.payload.readUInt16BE(at), f.payload.readUInt32BE(at + 2)]);
        for (const [id, v] of values) if (id === Setting.INITIAL_WINDOW_SIZE) this.clientInitialWindow = v;
        return this.record({ kind: "settings", ack: (f.flags & Flag.ACK) !== 0, values });
      }
      default:
        return;
    }
    if (f.flags & Flag.END_HEADERS) {
      const b = this.block!;
      this.block = undefined;
      const raw = this.decoder.decode(Buffer.concat(b.parts));
      const fields: Record<string, string> = {};
      for (let i = 0; i < raw.length; i += 2) fields[raw[i]!] = raw[i + 1]!;
      this.record({ kind: "headers", streamId: b.streamId, fields, end: (b.flags & Flag.END_STREAM) !== 0 });
    }
  }
}

/** What a stream reported, in order. */
function watch(s: ClientStream): { log: string[]; closed: Promise<void>; bytes: () => number } {
  const log: string[] = [];
  let bytes = 0;
  s.on("response", (h: Record<string, string>, flags: number, raw: string[]) =>
    log.push(`response:${h[":status"]}:${flags & Flag.END_STREAM ? "end" : "open"}:${raw.length / 2}`),
  );
  s.on("data", (b: Buffer) => {
    bytes += b.length;
    log.push(`data:${b.length}`);
  });
  s.on("trailers", (h: Record<string, string>) => log.push(`trailers:${h["grpc-status"]}`));
  s.on("error", () => {});
  const closed = new Promise<void>((r) =>
    s.on("close", () => {
      log.push(`close:${s.rstCode}`);
      r();
    }),
  );
  return { log, closed, bytes: () => bytes };
}

let dir: string;
let listener: net.Server | undefined;
const sessions: ClientSession[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h2client-"));
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
  listener = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A client session connected to a fresh spec server; the server has sent its (empty) SETTINGS unless told otherwise. */
async function connect(opts: { settings?: [number, number][]; connectionWindow?: number; relay?: Duplex } = {}) {
  const path = join(dir, "s");
  let accepted!: (s: Server) => void;
  const server = new Promise<Server>((r) => (accepted = r));
  listener = net.createServer((sock) => accepted(new Server(sock)));
  await new Promise<void>((r) => listener!.listen(path, r));
  const session = new ClientSession(opts.relay ? relayOver(net.connect(path), opts.relay) : net.connect(path), {
    scheme: "http",
    authority: "localhost",
    streamWindow: STREAM_WINDOW,
    connectionWindow: opts.connectionWindow ?? SESSION_WINDOW,
  });
  session.on("error", () => {});
  sessions.push(session);
  const srv = await server;
  srv.settings(opts.settings ?? []);
  await srv.until(() => srv.of("settings").some((e) => e.ack), "SETTINGS ack");
  return { session, srv };
}

/** `relay` carries the client's bytes to `sock` and `sock`'s to the client; a test may also push to it directly. */
function relayOver(sock: net.Socket, relay: Duplex): Duplex {
  sock.on("data", (b: Buffer) => relay.push(b));
  sock.on("error", () => {});
  (relay as unknown as { _write: Duplex["_write"] })._write = (chunk, _enc, done) => void sock.write(chunk, done);
  return relay;
}

const REQUEST = { ":method": "POST", ":path": "/pkg.Svc/Call", "content-type": "application/grpc", te: "trailers" };

test("preface, SETTINGS (push off, 4 MiB stream window), a 16 MiB connection window, and the SETTINGS ack", async () => {
  const { srv } = await connect();
  expect(srv.prefaceOk).toBe(true);
  const [first] = srv.of("settings");
  expect(first!.ack).toBe(false);
  expect(first!.values).toEqual(
    expect.arrayContaining([
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
    ]),
  );
  expect(srv.of("window")[0]).toEqual({ kind: "window", streamId: 0, increment: SESSION_WINDOW - DEFAULT_WINDOW });
  expect(srv.of("settings").filter((e) => e.ack)).toHaveLength(1);
});

test("a call: HEADERS on odd ids with :scheme and :authority, DATA with END_STREAM; response, DATA, trailers, then close", async () => {
  const { session, srv } = await connect();
  const calls = [1, 2, 3].map(() => {
    const s = session.request(REQUEST, { endStream: false });
    s.end(Buffer.from("hello"));
    return { s, w: watch(s) };
  });
  await srv.until(() => srv.of("data").filter((e) => e.end).length === 3, "three requests");
  expect(srv.of("headers").map((e) => e.streamId)).toEqual([1, 3, 5]);
  expect(srv.of("headers")[0]!.fields).toMatchObject({ ":method": "POST", ":scheme": "http", ":authority": "localhost", ":path": "/pkg.Svc/Call", te: "trailers" });
  expect(srv.of("data").map((e) => [e.streamId, e.length, e.end])).toEqual([
    [1, 5, true],
    [3, 5, true],
    [5, 5, true],
  ]);
  for (const id of [1, 3, 5]) {
    srv.headers(id, OK, false);
    srv.data(id, Buffer.alloc(7));
    srv.headers(id, ["grpc-status", "0", "x-a", "1", "x-a", "2"], true);
  }
  for (const c of calls) await c.w.closed;
  for (const c of calls) expect(c.w.log).toEqual(["response:200:open:2", "data:7", "trailers:0", "close:0"]);
  expect(srv.of("rst")).toEqual([]);
  expect(srv.violations).toEqual([]);
});

test("a trailers-only response carries END_STREAM on its only HEADERS; the raw list keeps repeated fields", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: false });
  s.end();
  const w = watch(s);
  let raw: string[] = [];
  s.on("response", (_h: unknown, _f: number, r: string[]) => (raw = r));
  await srv.until(() => srv.of("data").some((e) => e.end), "the request's end");
  srv.headers(1, [...OK, "grpc-status", "5", "grpc-message", "nope", "x-b", "1", "x-b", "2"], true);
  await w.closed;
  expect(w.log).toEqual(["response:200:end:6", "close:0"]);
  expect(raw.slice(-4)).toEqual(["x-b", "1", "x-b", "2"]);
});

test("a response split over CONTINUATION frames and padded DATA arrive whole; padding is credited", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  await srv.until(() => srv.of("headers").length === 1, "the request");
  const big = "v".repeat(40_000);
  srv.headers(1, [...OK, "x-big", big], false, 1000);
  srv.data(1, Buffer.alloc(100), false, 200);
  srv.headers(1, ["grpc-status", "0"], true, 5);
  await w.closed;
  expect(w.log).toEqual(["response:200:open:3", "data:100", "trailers:0", "close:0"]);
});

test("RST_STREAM from the server closes the stream with its code; a response ending before the request resets with NO_ERROR", async () => {
  const { session, srv } = await connect();
  const a = session.request(REQUEST, { endStream: false });
  const b = session.request(REQUEST, { endStream: false });
  const wa = watch(a);
  const wb = watch(b);
  await srv.until(() => srv.of("headers").length === 2, "two requests");
  srv.write(rstStreamFrame(1, ErrorCode.INTERNAL_ERROR));
  srv.headers(3, [...OK, "grpc-status", "0"], true);
  await Promise.all([wa.closed, wb.closed]);
  expect(wa.log).toEqual([`close:${ErrorCode.INTERNAL_ERROR}`]);
  expect(wb.log).toEqual(["response:200:end:3", "close:0"]);
  await srv.until(() => srv.of("rst").length === 1, "the client's reset");
  expect(srv.of("rst")).toEqual([{ kind: "rst", streamId: 3, code: ErrorCode.NO_ERROR }]);
  expect(a.write(Buffer.from("x"))).toBe(false);
});

test("destroy(AbortError) resets with CANCEL; stream.addAbortSignal does the same", async () => {
  const { session, srv } = await connect();
  const { addAbortSignal } = await import("node:stream");
  const a = session.request(REQUEST, { endStream: false });
  const b = session.request(REQUEST, { endStream: false });
  const [wa, wb] = [watch(a), watch(b)];
  await srv.until(() => srv.of("headers").length === 2, "two requests");
  a.destroy(Object.assign(new Error("gone"), { name: "AbortError" }));
  addAbortSignal(AbortSignal.abort(), b as never);
  await Promise.all([wa.closed, wb.closed]);
  await srv.until(() => srv.of("rst").length === 2, "two resets");
  expect(srv.of("rst").map((e) => [e.streamId, e.code])).toEqual([
    [1, ErrorCode.CANCEL],
    [3, ErrorCode.CANCEL],
  ]);
  expect(wa.log).toEqual([`close:${ErrorCode.CANCEL}`]);
});

test("GOAWAY: streams above its last id close with REFUSED_STREAM, those below finish, then the connection closes", async () => {
  const { session, srv } = await connect();
  const a = session.request(REQUEST, { endStream: true });
  const b = session.request(REQUEST, { endStream: true });
  const [wa, wb] = [watch(a), watch(b)];
  const goaways: unknown[] = [];
  session.on("goaway", (code: number, last: number, data: Buffer) => goaways.push([code, last, data.toString()]));
  const closed = new Promise<void>((r) => session.on("close", r));
  await srv.until(() => srv.of("headers").length === 2, "two requests");
  srv.write(goawayFrame(1, ErrorCode.NO_ERROR, "bye"));
  await wb.closed;
  expect(wb.log).toEqual([`close:${ErrorCode.REFUSED_STREAM}`]);
  expect(goaways).toEqual([[0, 1, "bye"]]);
  expect(session.closed).toBe(true);
  expect(() => session.request(REQUEST)).toThrow("the HTTP/2 session is closing");
  srv.headers(1, [...OK, "grpc-status", "0"], true);
  await wa.closed;
  expect(wa.log).toEqual(["response:200:end:3", "close:0"]);
  await closed;
  expect(session.destroyed).toBe(true);
  await srv.until(() => srv.of("eof").length === 1, "the client's end");
});

test("an error GOAWAY ends the connection at once: 'error' comes before the streams close", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const order: string[] = [];
  session.on("error", (e: Error) => order.push(`error:${e.message}`));
  s.on("close", () => order.push(`close:${session.destroyed}`));
  await srv.until(() => srv.of("headers").length === 1, "the request");
  srv.write(goawayFrame(1, ErrorCode.ENHANCE_YOUR_CALM, "too_many_pings"));
  await new Promise<void>((r) => session.on("close", r));
  expect(order).toEqual([`error:the server sent GOAWAY with error code ${ErrorCode.ENHANCE_YOUR_CALM}`, "close:true"]);
});

test("a connection error (DATA on stream 0) sends GOAWAY with its code and ends every stream", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  const errors: string[] = [];
  session.on("error", (e: Error) => errors.push(e.message));
  await srv.until(() => srv.of("headers").length === 1, "the request");
  srv.write(frameBytes(FrameType.DATA, 0, 0, Buffer.alloc(1)));
  await w.closed;
  expect(session.destroyed).toBe(true);
  expect(errors).toEqual([`HTTP/2 connection error (code ${ErrorCode.PROTOCOL_ERROR}): DATA on stream 0`]);
  await srv.until(() => srv.of("eof").length === 1, "the client's end");
  expect(srv.of("goaway")).toEqual([{ kind: "goaway", lastStreamId: 0, code: ErrorCode.PROTOCOL_ERROR }]);
});

test("sending: a 300 000-byte request through a 1000-byte stream window and the default connection window, never past either", async () => {
  const { session, srv } = await connect({ settings: [[Setting.INITIAL_WINDOW_SIZE, 1000]] });
  const s = session.request(REQUEST, { endStream: false });
  watch(s);
  const body = Buffer.alloc(300_000, 7);
  let drains = 0;
  s.on("drain", () => drains++);
  expect(s.write(body)).toBe(false);
  s.end();
  await srv.until(() => srv.dataOn(1) === 1000, "the first window");
  await new Promise((r) => setTimeout(r, 50));
  expect(srv.dataOn(1)).toBe(1000);
  // The stream's credit is generous: now the connection's default window binds.
  srv.credit(1, 400_000);
  await srv.until(() => srv.dataOn(1) === DEFAULT_WINDOW, "the connection window");
  await new Promise((r) => setTimeout(r, 50));
  expect(srv.dataOn(1)).toBe(DEFAULT_WINDOW);
  srv.credit(0, 300_000);
  await srv.until(() => srv.of("data").some((e) => e.end), "END_STREAM");
  expect(srv.dataOn(1)).toBe(300_000);
  expect(drains).toBe(1);
  expect(srv.violations).toEqual([]);
});

test("receiving: WINDOW_UPDATE once a quarter window is read; DATA beyond the stream window resets it with FLOW_CONTROL_ERROR", async () => {
  const { session, srv } = await connect();
  const a = session.request(REQUEST, { endStream: true });
  const wa = watch(a);
  await srv.until(() => srv.of("headers").length === 1, "the request");
  srv.headers(1, OK, false);
  srv.sendStream.set(1, STREAM_WINDOW);
  srv.sendConn = SESSION_WINDOW;
  const chunk = Buffer.alloc(16_384);
  for (let i = 0; i < 64; i++) srv.data(1, chunk);
  await srv.until(() => wa.bytes() === 64 * 16_384, "1 MiB read");
  await srv.until(() => srv.of("window").some((e) => e.streamId === 1), "a stream credit");
  expect(srv.of("window").filter((e) => e.streamId === 1)).toEqual([{ kind: "window", streamId: 1, increment: STREAM_WINDOW / 4 }]);
  // Past what a stream nobody reads allows (4 MiB): that stream is reset, the connection goes on.
  const b = session.request(REQUEST, { endStream: true });
  const wb = watch(b);
  b.pause();
  await srv.until(() => srv.of("headers").length === 2, "the second request");
  srv.headers(3, OK, false);
  for (let i = 0; i < 257; i++) srv.write(frameBytes(FrameType.DATA, 0, 3, chunk));
  await wb.closed;
  expect(wb.log).toEqual(["response:200:open:2", `close:${ErrorCode.FLOW_CONTROL_ERROR}`]);
  await srv.until(() => srv.of("rst").some((e) => e.streamId === 3), "the reset");
  expect(srv.of("rst").find((e) => e.streamId === 3)!.code).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  expect(session.destroyed).toBe(false);
});

test("pause() holds DATA (and what follows it) until resume()", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  s.pause();
  await srv.until(() => srv.of("headers").length === 1, "the request");
  srv.headers(1, OK, false);
  srv.data(1, Buffer.alloc(10));
  srv.headers(1, ["grpc-status", "0"], true);
  await new Promise((r) => setTimeout(r, 100));
  expect(w.log).toEqual(["response:200:open:2"]);
  s.resume();
  await w.closed;
  expect(w.log).toEqual(["response:200:open:2", "data:10", "trailers:0", "close:0"]);
});

test("PING: the server's is answered; ours is acknowledged to its callback; one unanswered at the end gets an error", async () => {
  const { session, srv } = await connect();
  srv.write(frameBytes(FrameType.PING, 0, 0, Buffer.from("abcdefgh")));
  await srv.until(() => srv.of("ping").some((e) => e.ack), "the ACK");
  expect(srv.of("ping")).toEqual([{ kind: "ping", ack: true, payload: Buffer.from("abcdefgh").toString("hex") }]);
  const answered = new Promise<Error | null>((r) => session.ping((err) => r(err)));
  await srv.until(() => srv.of("ping").some((e) => !e.ack), "our PING");
  const ours = srv.of("ping").find((e) => !e.ack)!;
  srv.write(frameBytes(FrameType.PING, Flag.ACK, 0, Buffer.from(ours.payload, "hex")));
  expect(await answered).toBeNull();
  const cancelled = new Promise<Error | null>((r) => session.ping((err) => r(err)));
  session.destroy();
  expect((await cancelled)?.message).toBe("the HTTP/2 session ended before the PING was answered");
});

test("more than 10 unanswered PINGs are refused", async () => {
  const { session } = await connect();
  const sent = Array.from({ length: 11 }, () => session.ping(() => {}));
  expect(sent).toEqual([...Array(10).fill(true), false]);
});

test("SETTINGS_MAX_CONCURRENT_STREAMS: a request beyond it waits for a slot", async () => {
  const { session, srv } = await connect({ settings: [[Setting.MAX_CONCURRENT_STREAMS, 1]] });
  const a = session.request(REQUEST, { endStream: true });
  const b = session.request(REQUEST, { endStream: false });
  b.end(Buffer.from("later"));
  const [wa, wb] = [watch(a), watch(b)];
  await srv.until(() => srv.of("headers").length === 1, "the first request");
  await new Promise((r) => setTimeout(r, 50));
  expect(srv.of("headers")).toHaveLength(1);
  srv.headers(1, [...OK, "grpc-status", "0"], true);
  await wa.closed;
  await srv.until(() => srv.of("data").some((e) => e.streamId === 3 && e.end), "the second request");
  expect(srv.of("headers").map((e) => e.streamId)).toEqual([1, 3]);
  srv.headers(3, [...OK, "grpc-status", "0"], true);
  await wb.closed;
});

test("the server closing the socket ends every stream and the session", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  const closed = new Promise<void>((r) => session.on("close", r));
  await srv.until(() => srv.of("headers").length === 1, "the request");
  srv.sock.destroy();
  await Promise.all([w.closed, closed]);
  expect(session.destroyed).toBe(true);
  expect(() => session.request(REQUEST)).toThrow("the HTTP/2 session is destroyed");
});

test("a response whose trailers arrive in the same read as the socket's end is delivered whole", async () => {
  const relay = new Duplex({ read() {} });
  const { session, srv } = await connect({ relay });
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  await srv.until(() => srv.of("headers").length === 1, "the request");
  // HEADERS, DATA, trailers and the connection's end in one read, as when a server closes an idle connection.
  const fields = (list: string[]) => srv.encoder.encode(list);
  relay.push(
    Buffer.concat([
      headerFrames(1, fields(OK), false, DEFAULT_MAX_FRAME_SIZE),
      frameBytes(FrameType.DATA, 0, 1, Buffer.alloc(7)),
      headerFrames(1, fields(["grpc-status", "0"]), true, DEFAULT_MAX_FRAME_SIZE),
    ]),
  );
  relay.push(null);
  await w.closed;
  srv.sock.destroy();
  expect(w.log).toEqual(["response:200:open:2", "data:7", "trailers:0", "close:0"]);
});

test("close() is graceful: calls in flight finish, then GOAWAY and the socket's end", async () => {
  const { session, srv } = await connect();
  const s = session.request(REQUEST, { endStream: true });
  const w = watch(s);
  await srv.until(() => srv.of("headers").length === 1, "the request");
  session.close();
  expect(() => session.request(REQUEST)).toThrow("the HTTP/2 session is closing");
  await new Promise((r) => setTimeout(r, 50));
  expect(srv.of("goaway")).toEqual([]);
  srv.headers(1, [...OK, "grpc-status", "0"], true);
  await w.closed;
  await srv.until(() => srv.of("eof").length === 1, "the end");
  expect(srv.of("goaway")).toEqual([{ kind: "goaway", lastStreamId: 0, code: ErrorCode.NO_ERROR }]);
});
