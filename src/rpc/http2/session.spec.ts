// ServerSession driven by a client written here frame by frame over a unix
// socket (real kernel buffers, so a client that does not read pushes back).
// The client keeps its own flow-control books and flags any DATA beyond a
// window or any frame beyond the frame size it announced. What a Go client
// does is covered by test/http2-server.test.ts (h2probe) and rpc-semantics.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
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
  headerFrames,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  type Frame,
} from "./frame.js";
import { HpackDecoder, HpackEncoder } from "./hpack.js";
import { ServerSession, type ServerSessionOptions } from "./session.js";
import type { ServerStream } from "./stream.js";

type Event =
  | { kind: "data"; streamId: number; length: number; end: boolean }
  | { kind: "headers"; streamId: number; fields: Record<string, string>; end: boolean; frameSizes: number[] }
  | { kind: "rst"; streamId: number; code: number }
  | { kind: "goaway"; lastStreamId: number; code: number }
  | { kind: "ping"; ack: boolean; payload: string }
  | { kind: "settings"; ack: boolean; values: [number, number][] }
  | { kind: "window"; streamId: number; increment: number }
  | { kind: "eof" };

const REQUEST = [":method", "POST", ":scheme", "http", ":path", "/pkg.Svc/Call", ":authority", "localhost", "content-type", "application/grpc", "te", "trailers"];

/** The peer's side: writes frames, reads and books what the server sends. */
class Client {
  readonly events: Event[] = [];
  readonly violations: string[] = [];
  /** What the server may still send us (our receive windows, as we granted them). */
  recvConn = DEFAULT_WINDOW;
  readonly recvStream = new Map<number, number>();
  initialWindow = DEFAULT_WINDOW;
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  /** What we may still send (the server's windows). */
  sendConn = DEFAULT_WINDOW;
  readonly sendStream = new Map<number, number>();
  serverInitialWindow = DEFAULT_WINDOW;
  private readonly reader = new FrameReader(MAX_ALLOWED_FRAME_SIZE);
  private readonly decoder = new HpackDecoder();
  private readonly encoder = new HpackEncoder();
  private block?: { streamId: number; flags: number; parts: Buffer[]; sizes: number[] };
  private waiters: (() => void)[] = [];

  constructor(readonly sock: net.Socket) {
    sock.on("data", (b: Buffer) => this.reader.push(b, (f) => (this.onFrame(f), true)));
    sock.on("end", () => this.record({ kind: "eof" }));
    sock.on("error", () => {});
  }

  write(...frames: Buffer[]): void {
    this.sock.write(Buffer.concat(frames));
  }

  /** Preface and our SETTINGS, booked as the server will apply them. */
  start(settings: [number, number][] = []): void {
    for (const [id, v] of settings) this.applyOwnSetting(id, v);
    this.write(CLIENT_PREFACE, settingsFrame(settings));
  }

  /** A SETTINGS change mid-connection, booked at once: the server has sent nothing in between that we have not counted. */
  settings(settings: [number, number][]): void {
    for (const [id, v] of settings) this.applyOwnSetting(id, v);
    this.write(settingsFrame(settings));
  }

  private applyOwnSetting(id: number, v: number): void {
    if (id === Setting.INITIAL_WINDOW_SIZE) {
      const delta = v - this.initialWindow;
      this.initialWindow = v;
      for (const [sid, w] of this.recvStream) this.recvStream.set(sid, w + delta);
    }
    if (id === Setting.MAX_FRAME_SIZE) this.maxFrameSize = v;
  }

  request(streamId: number, endStream: boolean, extra: string[] = []): void {
    this.recvStream.set(streamId, this.initialWindow);
    this.sendStream.set(streamId, this.serverInitialWindow);
    this.write(headerFrames(streamId, this.encoder.encode([...REQUEST, ...extra]), endStream, DEFAULT_MAX_FRAME_SIZE));
  }

  /** Grants the server `n` more bytes on a stream (0: the connection). */
  credit(streamId: number, n: number): void {
    if (streamId === 0) this.recvConn += n;
    else this.recvStream.set(streamId, (this.recvStream.get(streamId) ?? 0) + n);
    this.write(windowUpdateFrame(streamId, n));
  }

  /** Resolves once the server has answered a PING sent now: everything it sent before is in `events`. */
  async sync(): Promise<void> {
    const payload = Math.random().toString(16).slice(2, 10).padEnd(8, "0");
    this.write(frameBytes(FrameType.PING, 0, 0, Buffer.from(payload, "latin1")));
    await this.until(() => this.pingAcks.has(payload), "PING ack");
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

  dataOn(streamId: number): number {
    return this.dataTotals.get(streamId) ?? 0;
  }

  of<K extends Event["kind"]>(kind: K): Extract<Event, { kind: K }>[] {
    return (this.byKind.get(kind) ?? []) as Extract<Event, { kind: K }>[];
  }

  // Kept as events arrive, so waiting conditions cost nothing under a flood of frames.
  private readonly byKind = new Map<string, Event[]>();
  private readonly dataTotals = new Map<number, number>();
  private readonly pingAcks = new Set<string>();

  private record(e: Event): void {
    this.events.push(e);
    const list = this.byKind.get(e.kind) ?? [];
    list.push(e);
    this.byKind.set(e.kind, list);
    if (e.kind === "data") this.dataTotals.set(e.streamId, this.dataOn(e.streamId) + e.length);
    if (e.kind === "ping" && e.ack) this.pingAcks.add(e.payload);
    for (const w of [...this.waiters]) w();
  }

  private onFrame(f: Frame): void {
    if (f.payload.length > this.maxFrameSize) this.violations.push(`frame type ${f.type} of ${f.payload.length} bytes > ${this.maxFrameSize}`);
    if (this.block && f.type !== FrameType.CONTINUATION) this.violations.push(`frame type ${f.type} inside a header block`);
    switch (f.type) {
      case FrameType.DATA: {
        const n = f.payload.length;
        this.recvConn -= n;
        const w = (this.recvStream.get(f.streamId) ?? 0) - n;
        this.recvStream.set(f.streamId, w);
        if (this.recvConn < 0) this.violations.push(`connection window exceeded by ${-this.recvConn}`);
        if (w < 0) this.violations.push(`stream ${f.streamId} window exceeded by ${-w}`);
        return this.record({ kind: "data", streamId: f.streamId, length: n, end: (f.flags & Flag.END_STREAM) !== 0 });
      }
      case FrameType.HEADERS:
        this.block = { streamId: f.streamId, flags: f.flags, parts: [], sizes: [] };
      // falls through
      case FrameType.CONTINUATION: {
        const b = this.block!;
        b.parts.push(Buffer.from(f.payload));
        b.sizes.push(f.payload.length);
        if (!(f.flags & Flag.END_HEADERS)) return;
        this.block = undefined;
        const raw = this.decoder.decode(Buffer.concat(b.parts));
        const fields: Record<string, string> = {};
        for (let i = 0; i < raw.length; i += 2) fields[raw[i]!] = raw[i + 1]!;
        return this.record({ kind: "headers", streamId: b.streamId, fields, end: (b.flags & Flag.END_STREAM) !== 0, frameSizes: b.sizes });
      }
      case FrameType.RST_STREAM:
        return this.record({ kind: "rst", streamId: f.streamId, code: f.payload.readUInt32BE(0) });
      case FrameType.GOAWAY:
        return this.record({ kind: "goaway", lastStreamId: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4) });
      case FrameType.PING:
        return this.record({ kind: "ping", ack: (f.flags & Flag.ACK) !== 0, payload: f.payload.toString("latin1") });
      case FrameType.SETTINGS: {
        const values: [number, number][] = [];
        for (let at = 0; at < f.payload.length; at += 6) values.push([f.payload.readUInt16BE(at), f.payload.readUInt32BE(at + 2)]);
        if (!(f.flags & Flag.ACK)) {
          for (const [id, v] of values) {
            if (id !== Setting.INITIAL_WINDOW_SIZE) continue;
            for (const [sid, w] of this.sendStream) this.sendStream.set(sid, w + v - this.serverInitialWindow);
            this.serverInitialWindow = v;
          }
          this.write(frameBytes(FrameType.SETTINGS, Flag.ACK, 0));
        }
        return this.record({ kind: "settings", ack: (f.flags & Flag.ACK) !== 0, values });
      }
      case FrameType.WINDOW_UPDATE: {
        const inc = f.payload.readUInt32BE(0);
        if (f.streamId === 0) this.sendConn += inc;
        else this.sendStream.set(f.streamId, (this.sendStream.get(f.streamId) ?? 0) + inc);
        return this.record({ kind: "window", streamId: f.streamId, increment: inc });
      }
      default:
        this.violations.push(`unexpected frame type ${f.type}`);
    }
  }
}

/** A session's private books, read to prove nothing is left behind. */
const books = (s: ServerSession) => s as unknown as { streams: Map<number, unknown>; sending: Set<unknown>; unreadControl: number };

interface Pair {
  session: ServerSession;
  client: Client;
  /** Server streams in the order the requests arrived. */
  streams: ServerStream[];
  nextStream(): Promise<ServerStream>;
  sessionClosed: Promise<void>;
}

describe("ServerSession against a hand-driven client", () => {
  let dir: string;
  let listener: net.Server;
  const cleanups: (() => void)[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "h2session-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
  });

  let n = 0;
  async function pair(opts: Partial<ServerSessionOptions> = {}): Promise<Pair> {
    const path = join(dir, `s${n++}`);
    const accepted = new Promise<net.Socket>((resolve) => {
      listener = net.createServer(resolve);
    });
    await new Promise<void>((r) => listener.listen(path, r));
    const sock = net.connect(path);
    await new Promise<void>((r) => sock.once("connect", r));
    const session = new ServerSession(await accepted, { streamWindow: DEFAULT_WINDOW, connectionWindow: DEFAULT_WINDOW, ...opts });
    const sessionClosed = new Promise<void>((r) => session.once("close", r));
    const streams: ServerStream[] = [];
    const waiting: ((s: ServerStream) => void)[] = [];
    session.on("stream", (s: ServerStream) => {
      streams.push(s);
      waiting.shift()?.(s);
    });
    const client = new Client(sock);
    cleanups.push(() => {
      sock.destroy();
      session.destroy();
    });
    let taken = 0;
    return {
      session,
      client,
      streams,
      sessionClosed,
      nextStream: () => (taken < streams.length ? Promise.resolve(streams[taken++]!) : new Promise((r) => waiting.push((s) => (taken++, r(s))))),
    };
  }

  test("SETTINGS_INITIAL_WINDOW_SIZE lowered below what is in flight, then raised: the stream window goes negative, then the response resumes and completes within every window", async () => {
    const { client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 50_000]]);
    client.credit(0, 1 << 20);
    client.request(1, true);
    const s = await nextStream();
    s.respond({ ":status": 200 }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    const body = Buffer.alloc(200_000, 7);
    s.write(body);
    s.end();

    await client.until(() => client.dataOn(1) === 50_000, "the first 50 000 bytes");
    await client.sync();
    expect(client.dataOn(1)).toBe(50_000);
    // 10 000 - 50 000: the window is 40 000 below zero; 30 000 of credit leaves it negative.
    client.settings([[Setting.INITIAL_WINDOW_SIZE, 10_000]]);
    client.credit(1, 30_000);
    await client.sync();
    expect(client.recvStream.get(1)).toBe(-10_000);
    expect(client.dataOn(1)).toBe(50_000);
    // +60 000: the window is 50 000 again.
    client.settings([[Setting.INITIAL_WINDOW_SIZE, 70_000]]);
    await client.until(() => client.dataOn(1) === 100_000, "50 000 more bytes after the raise");
    await client.sync();
    expect(client.dataOn(1)).toBe(100_000);
    // The rest as the client reads it.
    client.credit(1, 100_000);
    await client.until(() => client.of("headers").some((h) => h.streamId === 1 && h.end), "the trailers");
    expect(client.dataOn(1)).toBe(200_000);
    expect(client.violations).toEqual([]);
  });

  test("one connection-level WINDOW_UPDATE releases the DATA queued on several streams", async () => {
    const { session, client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 1 << 20]]);
    const ids = [1, 3, 5];
    for (const id of ids) {
      client.request(id, true);
      const s = await nextStream();
      s.respond({ ":status": 200 });
      s.write(Buffer.alloc(100_000, id));
      s.end();
    }
    await client.until(() => ids.reduce((n, id) => n + client.dataOn(id), 0) === DEFAULT_WINDOW, "the first connection window");
    await client.sync();
    expect(ids.reduce((n, id) => n + client.dataOn(id), 0)).toBe(DEFAULT_WINDOW);
    expect(books(session).sending.size).toBeGreaterThan(0);
    client.credit(0, 300_000 - DEFAULT_WINDOW);
    await client.until(() => ids.every((id) => client.of("data").some((d) => d.streamId === id && d.end)), "every stream's END_STREAM");
    for (const id of ids) expect(client.dataOn(id)).toBe(100_000);
    expect(client.recvConn).toBe(0);
    expect(client.violations).toEqual([]);
    expect(books(session).sending.size).toBe(0);
    expect(books(session).streams.size).toBe(0);
  });

  test("SETTINGS_MAX_FRAME_SIZE raised: DATA frames grow up to it, never beyond; longer header blocks go on in CONTINUATIONs", async () => {
    const { client, nextStream } = await pair();
    const max = 20_000;
    client.start([
      [Setting.MAX_FRAME_SIZE, max],
      [Setting.INITIAL_WINDOW_SIZE, 1 << 20],
    ]);
    client.credit(0, 1 << 20);
    client.request(1, true);
    const s = await nextStream();
    // Random bytes as hex: Huffman saves little, so the block stays over two frames.
    const big = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 7919) % 256)).toString("hex");
    s.respond({ ":status": 200, "x-big": big }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0", "x-big-trailer": big }));
    s.write(Buffer.alloc(100_000, 1));
    s.end();
    await client.until(() => client.of("headers").some((h) => h.end), "the trailers");
    const [headers, trailers] = client.of("headers");
    expect(headers!.fields["x-big"]).toBe(big);
    expect(trailers!.fields["x-big-trailer"]).toBe(big);
    for (const h of [headers!, trailers!]) {
      expect(h.frameSizes.length).toBeGreaterThanOrEqual(3);
      expect(h.frameSizes.slice(0, -1).every((n) => n === max)).toBe(true);
    }
    expect(trailers!.end).toBe(true);
    const sizes = client.of("data").map((d) => d.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(Math.max(...sizes)).toBe(max);
    expect(client.violations).toEqual([]);
  });

  test("trailers wait for DATA that flow control holds back: they come after the last byte", async () => {
    const { client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 1000]]);
    client.request(1, true);
    const s = await nextStream();
    s.respond({ ":status": 200 }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.write(Buffer.alloc(5000, 1));
    s.end();
    // Credit what arrives, a little at a time, until the trailers come.
    const trailers = () => client.of("headers").some((h) => h.end);
    while (!trailers()) {
      await client.until(() => client.recvStream.get(1)! <= 0 || trailers(), "the window used up, or the trailers");
      if (!trailers()) client.credit(1, 700);
    }
    const seq = client.events.filter((e) => e.kind === "data" || e.kind === "headers").map((e) => e.kind);
    expect(seq[0]).toBe("headers");
    expect(seq.at(-1)).toBe("headers");
    expect(seq.slice(1, -1).every((k) => k === "data")).toBe(true);
    expect(client.dataOn(1)).toBe(5000);
    expect(client.of("data").some((d) => d.end)).toBe(false);
    expect(client.violations).toEqual([]);
  });

  test("sendTrailers before 'wantTrailers' is refused, as node:http2 refuses it: DATA queued behind flow control is not overtaken or lost", async () => {
    const { client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 1000]]);
    client.request(1, true);
    const s = await nextStream();
    s.respond({ ":status": 200 }, { waitForTrailers: true });
    s.write(Buffer.alloc(5000, 1));
    expect(() => s.sendTrailers({ "grpc-status": "0" })).toThrow(/trailers/i);
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end();
    client.credit(1, 4000);
    await client.until(() => client.of("headers").some((h) => h.end), "the trailers");
    expect(client.dataOn(1)).toBe(5000);
    expect(client.violations).toEqual([]);
  });

  test("a request complete in its HEADERS and answered at once is closed by the answer alone (no RST_STREAM on a closed stream)", async () => {
    const { session, client } = await pair();
    session.on("stream", (s: ServerStream) => s.respond({ ":status": 200, "grpc-status": "12" }, { endStream: true }));
    client.start();
    client.request(1, true);
    // A request still open when it is answered is cut short with RST_STREAM NO_ERROR, as grpc-go's server does.
    client.request(3, false);
    await client.until(() => client.of("headers").length === 2, "both answers");
    await client.sync();
    expect(client.of("headers").map((h) => [h.streamId, h.end])).toEqual([
      [1, true],
      [3, true],
    ]);
    expect(client.of("rst")).toEqual([{ kind: "rst", streamId: 3, code: ErrorCode.NO_ERROR }]);
    expect(books(session).streams.size).toBe(0);
  });

  test("write() asks the writer to wait while DATA queues behind the window, and 'drain' follows the client's credit", async () => {
    const { client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 1000]]);
    client.credit(0, 1 << 20);
    client.request(1, true);
    const s = await nextStream();
    s.respond({ ":status": 200 });
    expect(s.write(Buffer.alloc(40_000))).toBe(true);
    expect(s.write(Buffer.alloc(40_000))).toBe(false);
    let drained = false;
    s.once("drain", () => (drained = true));
    await client.until(() => client.dataOn(1) === 1000, "the first window");
    await client.sync();
    expect(drained).toBe(false);
    client.credit(1, 20_000);
    await client.until(() => client.dataOn(1) === 21_000, "the credited DATA");
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(true);
    s.end();
    client.credit(1, 59_000);
    await client.until(() => client.of("data").some((d) => d.end), "END_STREAM");
    expect(client.dataOn(1)).toBe(80_000);
    expect(client.violations).toEqual([]);
  });

  test("the connection window comes back as DATA arrives: a stream whose handler does not read does not starve the others", async () => {
    const { client, nextStream } = await pair();
    client.start();
    await client.until(() => client.of("settings").some((e) => !e.ack), "the server's SETTINGS");
    const send = async (id: number, n: number) => {
      for (let left = n; left > 0; ) {
        const len = Math.min(left, DEFAULT_MAX_FRAME_SIZE);
        await client.until(() => client.sendConn >= len && client.sendStream.get(id)! >= len, `window on stream ${id}`);
        client.sendConn -= len;
        client.sendStream.set(id, client.sendStream.get(id)! - len);
        left -= len;
        client.write(frameBytes(FrameType.DATA, left === 0 ? Flag.END_STREAM : 0, id, Buffer.alloc(len)));
      }
    };
    client.request(1, false);
    const idle = await nextStream();
    idle.pause();
    await send(1, 60_000);
    client.request(3, false);
    const busy = await nextStream();
    let got = 0;
    busy.on("data", (b: Buffer) => (got += b.length));
    const ended = new Promise((r) => busy.once("end", r));
    await send(3, 60_000);
    await ended;
    expect(got).toBe(60_000);
    // Stream 1's own window is spent and stays so until its handler reads.
    expect(client.sendStream.get(1)).toBe(DEFAULT_WINDOW - 60_000);
  });

  test("a client that never reads while it sends PINGs gets GOAWAY ENHANCE_YOUR_CALM; what waits for it stays bounded", async () => {
    const { session, client, sessionClosed } = await pair();
    client.start();
    await client.until(() => client.of("settings").some((e) => !e.ack), "the server's SETTINGS");
    client.sock.pause();
    const ping = frameBytes(FrameType.PING, 0, 0, Buffer.from("flooding"));
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    let maxQueued = 0;
    // 250 000 PINGs: 4.25 MB of acks owed, several times what the kernel and the session may hold.
    for (let i = 0; i < 250 && !session.socket.writableEnded; i++) {
      await new Promise<void>((r) => client.sock.write(batch, () => r()));
      maxQueued = Math.max(maxQueued, session.socket.writableLength);
    }
    expect(session.socket.writableEnded).toBe(true);
    // 1 MiB of control frames (MAX_UNREAD_CONTROL) on top of the socket's high-water mark, and the acks of
    // the read that crossed each line (a socket read is at most 64 KiB). Unbounded, it would be the 4.25 MB owed.
    expect(maxQueued).toBeLessThan((1 << 20) + session.socket.writableHighWaterMark + 2 * 65_536);
    client.sock.resume();
    await client.until(() => client.of("goaway").length > 0, "GOAWAY");
    await sessionClosed;
    expect(client.of("goaway")).toEqual([{ kind: "goaway", lastStreamId: 0, code: ErrorCode.ENHANCE_YOUR_CALM }]);
    // GOAWAY is the last frame: after it, only the end of the connection.
    expect(client.events.filter((e) => e.kind !== "eof").at(-1)?.kind).toBe("goaway");
    const acks = client.of("ping").filter((p) => p.ack).length;
    expect(acks).toBeGreaterThan(1000);
    expect(acks).toBeLessThan(250_000);
  });

  test("close(): GOAWAY NO_ERROR naming the last stream; the stream in flight completes; a new one is refused; the connection ends once idle", async () => {
    const { session, client, nextStream, sessionClosed } = await pair();
    client.start();
    client.request(1, false);
    const s = await nextStream();
    let closes = 0;
    s.on("close", () => closes++);
    const received: Buffer[] = [];
    s.on("data", (b: Buffer) => received.push(b));
    session.close();
    await client.until(() => client.of("goaway").length > 0, "GOAWAY");
    expect(client.of("goaway")).toEqual([{ kind: "goaway", lastStreamId: 1, code: ErrorCode.NO_ERROR }]);
    client.request(3, true);
    await client.until(() => client.of("rst").length > 0, "the refusal of stream 3");
    expect(client.of("rst")).toEqual([{ kind: "rst", streamId: 3, code: ErrorCode.REFUSED_STREAM }]);
    // Stream 1 goes on both ways.
    client.write(frameBytes(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("request")));
    await new Promise((r) => s.once("end", r));
    expect(Buffer.concat(received).toString()).toBe("request");
    s.respond({ ":status": 200 }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.write(Buffer.from("response"));
    s.end();
    await sessionClosed;
    await client.until(() => client.of("eof").length > 0, "the end of the connection");
    expect(client.dataOn(1)).toBe(8);
    expect(client.of("headers").map((h) => [h.streamId, h.end])).toEqual([
      [1, false],
      [1, true],
    ]);
    expect(closes).toBe(1);
    expect(s.aborted).toBe(false);
    expect(client.violations).toEqual([]);
  });

  test.each([
    ["with a last DATA", Buffer.from("response")],
    ["with an empty END_STREAM DATA", Buffer.alloc(0)],
  ])("close(): a response ended by end() without trailers reaches the client whole (%s) before the connection ends", async (_, body) => {
    const { session, client, nextStream, sessionClosed } = await pair();
    client.start();
    client.request(1, true);
    const s = await nextStream();
    await new Promise((r) => s.once("end", r));
    session.close();
    await client.until(() => client.of("goaway").length > 0, "GOAWAY");
    s.respond({ ":status": 200 });
    s.write(body);
    s.end();
    await sessionClosed;
    await client.until(() => client.of("eof").length > 0, "the end of the connection");
    expect(client.dataOn(1)).toBe(body.length);
    expect(client.of("data").filter((d) => d.end)).toHaveLength(1);
    expect(client.events.filter((e) => e.kind !== "eof").at(-1)).toMatchObject({ kind: "data", streamId: 1, end: true });
  });

  test("destroy(): every stream closes once, aborted", async () => {
    const { session, client, nextStream, sessionClosed } = await pair();
    client.start();
    const ss: ServerStream[] = [];
    for (const id of [1, 3, 5]) {
      client.request(id, id === 5);
      ss.push(await nextStream());
    }
    ss[1]!.respond({ ":status": 200 });
    ss[1]!.write(Buffer.from("partial"));
    const closes = ss.map(() => 0);
    ss.forEach((s, i) => s.on("close", () => closes[i]!++));
    session.destroy();
    await sessionClosed;
    await new Promise((r) => setImmediate(r));
    expect(closes).toEqual([1, 1, 1]);
    expect(ss.map((s) => s.aborted)).toEqual([true, true, true]);
    expect(books(session).streams.size).toBe(0);
    await client.until(() => client.of("eof").length > 0 || client.sock.destroyed, "the end of the connection");
  });

  test("padding in DATA is credited back: a stream carries many times its window of padded frames", async () => {
    const streamWindow = 1000;
    const { client, nextStream } = await pair({ streamWindow });
    client.start();
    await client.until(() => client.of("settings").some((e) => !e.ack), "the server's SETTINGS");
    expect(client.serverInitialWindow).toBe(streamWindow);
    client.request(1, false);
    const s = await nextStream();
    const received: Buffer[] = [];
    s.on("data", (b: Buffer) => received.push(b));
    const ended = new Promise((r) => s.once("end", r));
    // 40 frames of 1 + 50 + 200 bytes: 10 040 bytes of window for 2000 bytes of data.
    const frames = 40;
    for (let i = 0; i < frames; i++) {
      const payload = Buffer.concat([Buffer.from([200]), Buffer.alloc(50, i), Buffer.alloc(200)]);
      await client.until(() => client.sendStream.get(1)! >= payload.length && client.sendConn >= payload.length, `window for padded frame ${i}`);
      client.sendStream.set(1, client.sendStream.get(1)! - payload.length);
      client.sendConn -= payload.length;
      client.write(frameBytes(FrameType.DATA, Flag.PADDED | (i === frames - 1 ? Flag.END_STREAM : 0), 1, payload));
    }
    await ended;
    expect(Buffer.concat(received)).toEqual(Buffer.concat(Array.from({ length: frames }, (_, i) => Buffer.alloc(50, i))));
    const credited = client.of("window").filter((w) => w.streamId === 1).reduce((n, w) => n + w.increment, 0);
    expect(credited).toBeGreaterThanOrEqual(frames * 251 - streamWindow);
    expect(client.of("rst")).toEqual([]);
  });

  test("a stream the client resets while DATA waits for its window: no DATA after, 'close' once, nothing left in the session's books", async () => {
    const { session, client, nextStream } = await pair();
    client.start([[Setting.INITIAL_WINDOW_SIZE, 100]]);
    client.request(1, true);
    const s = await nextStream();
    let closes = 0;
    s.on("close", () => closes++);
    s.respond({ ":status": 200 }, { waitForTrailers: true });
    s.write(Buffer.alloc(10_000, 1));
    s.end();
    await client.until(() => client.dataOn(1) === 100, "the first window's DATA");
    await client.sync();
    expect(books(session).sending.has(s)).toBe(true);
    client.write(rstStreamFrame(1, ErrorCode.CANCEL), windowUpdateFrame(1, 10_000));
    await client.sync();
    const dataBefore = client.dataOn(1);
    expect(dataBefore).toBe(100);
    expect(s.aborted).toBe(true);
    expect(s.write(Buffer.from("late"))).toBe(false);
    // Late frames on the reset stream are dropped; the connection serves the next request.
    client.write(windowUpdateFrame(1, 1000));
    client.request(3, true);
    const s3 = await nextStream();
    s3.respond({ ":status": 200 }, { endStream: true });
    await client.until(() => client.of("headers").some((h) => h.streamId === 3 && h.end), "stream 3's answer");
    await client.sync();
    expect(client.dataOn(1)).toBe(100);
    expect(closes).toBe(1);
    expect(books(session).streams.size).toBe(0);
    expect(books(session).sending.size).toBe(0);
    expect(client.of("rst")).toEqual([]);
    expect(client.violations).toEqual([]);
  });
});
