// gRPC semantics against grpc-go (interop/cmd/rpcsemantics, grpc-go as go-plugin
// v1.8.0 pins it): the TS server under the Go client, and the TS client against
// the Go server, on each engine.
import { grpcJsChannelOf, grpcJsServer, grpcJsServerOf } from "../src/rpc/grpc-js-handles.js";
import * as grpc from "@grpc/grpc-js";
import { execFile, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { anyUnpack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Semantics } from "./gen/rpctest/semantics_pb.js";
import {
  addServices,
  Code,
  createClient,
  H2Channel,
  H2Server,
  Metadata,
  RpcError,
  stopServer,
  statusDetails,
  type Channel,
  type ClientOf,
  type Server,
} from "../src/index.js";
import { semanticsService } from "./fixtures/semantics-service.js";
import { BIN, scratchDir } from "./helpers.js";
import { startGoServer, stopGoServer } from "./rpcsemantics-server.js";

const GO = join(BIN, "rpcsemantics");
const MAX = 128 * 1024 * 1024;
type Engine = "h2" | "grpc-js";
const ENGINES: Engine[] = ["h2", "grpc-js"];
/** Servers: the h2 engine on the library's own HTTP/2 (its default without TLS) and on node:http2, and grpc-js. */
type ServerKind = Engine | "h2 on node:http2";
const SERVERS: ServerKind[] = ["h2", "h2 on node:http2", "grpc-js"];

function md(pairs: Record<string, string | Buffer>): Metadata {
  return new Metadata(pairs);
}

async function startTsServer(engine: ServerKind, path: string, maxRecv?: number): Promise<Server> {
  let server!: Server;
  const shutdown = () => {
    void stopServer(server, true);
  };
  if (engine !== "grpc-js") {
    const s = (server = new H2Server({ maxReceiveMessageLength: maxRecv, http2: engine === "h2" ? "js" : "node" }));
    addServices(s, [semanticsService(shutdown)]);
    await s.listen({ path });
  } else {
    const s = (server = grpcJsServerOf(new grpc.Server(maxRecv ? { "grpc.max_receive_message_length": maxRecv } : {})));
    addServices(s, [semanticsService(shutdown)]);
    await new Promise<void>((resolve, reject) =>
      grpcJsServer(s).bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
  }
  return server;
}

function stopTsServer(s: Server): void {
  s.forceShutdown();
}

/** Runs grpc-go's client checks against the TS servers; returns its report. */
function runGoClient(sock: string, small: string): Promise<{ name: string; ok: boolean; error?: string }[]> {
  return new Promise((resolve, reject) =>
    execFile(GO, ["client", sock, "-small", small], { timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
      } catch {
        reject(new Error(`rpcsemantics client gave no report (${err?.message ?? "exit 0"}): ${stdout}\n${stderr}`));
      }
    }),
  );
}

function channel(engine: Engine, sock: string, maxRecv = MAX): Channel {
  if (engine === "h2") return new H2Channel({ network: "unix", address: sock }, { maxReceiveMessageLength: maxRecv });
  return grpcJsChannelOf(
    new grpc.Client(`unix://${sock}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": maxRecv,
      "grpc.max_send_message_length": MAX,
    }),
  );
}

async function rejected(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("call succeeded; an error was expected");
}

async function* items<T>(list: T[], then?: Promise<unknown>): AsyncIterable<T> {
  for (const x of list) yield x;
  if (then) await then;
}

describe.each(SERVERS)("TS server (%s) under the grpc-go client", (engine) => {
  const dir = scratchDir();
  let big: Server;
  let small: Server;
  afterAll(() => {
    stopTsServer(big);
    stopTsServer(small);
    dir.remove();
  });

  test("every check of grpc-go's client passes", async () => {
    big = await startTsServer(engine, join(dir.path, "big"), MAX);
    small = await startTsServer(engine, join(dir.path, "small"));
    const report = await runGoClient(join(dir.path, "big"), join(dir.path, "small"));
    expect(report.length).toBe(21);
    const failed = report.filter((r) => !r.ok);
    if (engine !== "grpc-js") expect(failed).toEqual([]);
    // grpc-js's server words UNIMPLEMENTED its own way, accepts gzip, joins a repeated key's values
    // into one ("a, b, c"), reads malformed base64 leniently and sends Node's `date` header; every
    // other check passes.
    else
      expect(failed.map((r) => r.name)).toEqual([
        "metadata text and binary echoed in headers and trailers",
        "response headers carry no date, as grpc-go's server sends none",
        "binary metadata: padded and unpadded base64 read alike; malformed is INTERNAL",
        "unknown service and method are UNIMPLEMENTED",
        "a compressed request is refused as by grpc-go",
      ]);
  }, 300_000);
});

describe.each(ENGINES)("TS client (%s engine) against the grpc-go server", (engine) => {
  const dir = scratchDir();
  const sock = join(dir.path, "go");
  let go: ChildProcess;
  let ch: Channel;
  let c: ClientOf<typeof Semantics>;
  beforeAll(async () => {
    go = await startGoServer(sock, "-max-recv", String(MAX));
    ch = channel(engine, sock);
    c = createClient(Semantics, ch);
  }, 60_000);
  afterAll(async () => {
    ch.close();
    await stopGoServer(go);
    dir.remove();
  });

  const report = async (id: string) => Buffer.from((await c.unary({}, { metadata: md({ "x-mode": "report", "x-id": id }), deadline: 15_000 })).value).toString();

  test("metadata text and binary: sent, and echoed in headers and trailers", async () => {
    const bin = Buffer.from([0, 1, 2, 255, 10, 44]);
    let headers: Metadata | undefined;
    let trailers: Metadata | undefined;
    const res = await c.unary(
      { value: Buffer.from("ping") },
      {
        metadata: md({ "x-echo-text": "hello, world", "x-echo-bin": bin, "x-other": "no" }),
        onHeader: (m) => (headers = m),
        onTrailer: (m) => (trailers = m),
      },
    );
    expect(Buffer.from(res.value).toString()).toBe("ping");
    for (const m of [headers!, trailers!]) {
      expect(m.getAll("x-echo-text")).toEqual(["hello, world"]);
      expect(m.getAll("x-echo-bin")).toEqual([bin]);
      expect(m.has("x-other")).toBe(false);
    }
  });

  test("server stream and bidi: headers and trailers echoed by the Go handler reach onHeader / onTrailer", async () => {
    const bin = Buffer.from([0, 255, 44]);
    for (const kind of ["serverStream", "bidi"] as const) {
      let headers: Metadata | undefined;
      let trailers: Metadata | undefined;
      const opts = { metadata: { "x-echo-s": "v", "x-echo-s-bin": bin, "x-count": "2" }, onHeader: (m: Metadata) => (headers = m), onTrailer: (m: Metadata) => (trailers = m) };
      const x = { value: Buffer.from("x") };
      const stream = kind === "serverStream" ? c.serverStream(x, opts) : c.bidi(items([x, x]), opts);
      let n = 0;
      for await (const _ of stream) n++;
      expect(n).toBe(2);
      for (const m of [headers!, trailers!]) {
        expect(m.get("x-echo-s")).toBe("v");
        expect(m.get("x-echo-s-bin")).toEqual(bin);
      }
    }
  });

  test("metadata as the Go handler sees it: repeated keys stay separate values; reserved keys are not sent", async () => {
    const sent = new Metadata({ "x-multi": ["a, b", "c"], "x-multi-bin": [Buffer.from([0]), Buffer.from([255, 254])] })
      .set("content-type", "text/plain")
      .set("te", "gzip")
      .set("grpc-timeout", "1n")
      .set("grpc-status", "3")
      .set("x-mode", "metadata");
    const res = await c.unary({}, { metadata: sent });
    const seen = JSON.parse(Buffer.from(res.value).toString()) as Record<string, string[]>;
    expect(seen["x-multi"]).toEqual(["a, b", "c"]);
    expect(seen["x-multi-bin"]).toEqual([Buffer.from([0]).toString("base64"), Buffer.from([255, 254]).toString("base64")]);
    expect(seen["content-type"]).toEqual(["application/grpc"]);
    for (const k of ["te", "grpc-timeout", "grpc-status"]) expect(seen[k]).toBeUndefined();
    // The client's user-agent as grpc-go hands it over: this library's on h2, grpc-js's own otherwise.
    expect(seen["user-agent"]).toEqual([expect.stringMatching(engine === "h2" ? /^go-plugin-ts\/\d+\.\d+\.\d+$/ : /^grpc-node-js\//)]);
    // A record works as metadata too.
    const again = JSON.parse(Buffer.from((await c.unary({}, { metadata: { "x-mode": "metadata", "x-one": "1" } })).value).toString());
    expect(again["x-one"]).toEqual(["1"]);
  });

  test("every status code with message, details and trailers (trailers-only responses)", async () => {
    const msg = "bad % thing ✓\nnext line";
    for (let code = 1; code <= 16; code++) {
      let headers: Metadata | undefined;
      const err = await rejected(
        c.unary({}, {
          metadata: md({ "x-mode": "status", "x-code": String(code), "x-message-bin": Buffer.from(msg), "x-details": `detail ${code}` }),
          onHeader: (m) => (headers = m),
        }),
      );
      expect([err.code, err.details]).toEqual([code, msg]);
      expect(err.metadata.getAll("x-trail")).toEqual(["t"]);
      expect(err.metadata.getAll("x-trail-bin")).toEqual([Buffer.from([0, 1, 2, 255])]);
      const st = statusDetails(err)!;
      expect([st.code, st.message]).toEqual([code, msg]);
      expect(anyUnpack(st.details[0], StringValueSchema)?.value).toBe(`detail ${code}`);
      // grpc-go answers an error before any message as trailers-only: no separate headers.
      if (engine === "h2") expect(headers).toBeUndefined();
    }
  });

  test("client deadline expires while the Go handler waits: DEADLINE_EXCEEDED; the handler's call ends", async () => {
    const err = await rejected(c.unary({}, { metadata: md({ "x-mode": "wait", "x-id": `dl-${engine}` }), deadline: 300 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    // Our reset at the deadline races the Go server's own timer; either ends the handler, as between Go peers.
    expect([String(Code.DEADLINE_EXCEEDED), String(Code.CANCELLED)]).toContain(await report(`dl-${engine}`));
  });

  test("the Go handler reads the deadline sent as grpc-timeout", async () => {
    const left = Number(Buffer.from((await c.unary({}, { metadata: md({ "x-mode": "deadline" }), deadline: 5000 })).value).toString());
    expect(left).toBeGreaterThan(2000);
    expect(left).toBeLessThanOrEqual(5000);
    expect(Buffer.from((await c.unary({}, { metadata: md({ "x-mode": "deadline" }) })).value).toString()).toBe("none");
  });

  test("cancel mid server-stream: the reader sees CANCELLED, the Go handler its context cancelled", async () => {
    const ac = new AbortController();
    const it = c.serverStream({ value: Buffer.from("a") }, { metadata: md({ "x-mode": "hang", "x-id": `css-${engine}` }), signal: ac.signal })[
      Symbol.asyncIterator
    ]();
    expect((await it.next()).done).toBe(false);
    ac.abort();
    const err = await rejected(it.next());
    expect(err.code).toBe(Code.CANCELLED);
    expect(await report(`css-${engine}`)).toBe(String(Code.CANCELLED));
  });

  // Only on the h2 engine: grpc-js half-closes (END_STREAM) before its RST_STREAM,
  // so a Go handler reads a normal end of input instead of an error.
  const h2Only = engine === "h2" ? test : (_name: string, _fn: () => Promise<void>) => {};
  h2Only("cancel mid client-stream and mid bidi: the Go handler's Recv fails with CANCELLED", async () => {
    const ac = new AbortController();
    let sent!: () => void;
    const allSent = new Promise<void>((r) => (sent = r));
    async function* reqs() {
      for (let i = 0; i < 3; i++) yield { value: Buffer.from("x") };
      sent();
      await new Promise(() => {});
    }
    const p = c.clientStream(reqs(), { metadata: md({ "x-id": `ccs-${engine}` }), signal: ac.signal });
    await allSent;
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect((await rejected(p)).code).toBe(Code.CANCELLED);
    expect(await report(`ccs-${engine}`)).toBe(String(Code.CANCELLED));

    const ac2 = new AbortController();
    const it = c.bidi(items([{ value: Buffer.from("y") }], new Promise(() => {})), { metadata: md({ "x-id": `cb-${engine}` }), signal: ac2.signal })[
      Symbol.asyncIterator
    ]();
    expect((await it.next()).done).toBe(false);
    ac2.abort();
    expect((await rejected(it.next())).code).toBe(Code.CANCELLED);
    expect(await report(`cb-${engine}`)).toBe(String(Code.CANCELLED));
  });

  test("client stream counted; server stream of 100 messages", async () => {
    const n = await c.clientStream(items(Array.from({ length: 50 }, () => ({ value: Buffer.from("x") }))));
    expect(Buffer.from(n.value).toString()).toBe("50");
    let got = 0;
    for await (const _ of c.serverStream({ value: Buffer.from("y") }, { metadata: md({ "x-count": "100" }) })) got++;
    expect(got).toBe(100);
  });

  test.each([1 << 20, 64 << 20])("%d-byte message echoed", async (size) => {
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i++) buf[i] = (i * 7) & 0xff;
    const res = await c.unary({ value: buf }, { deadline: 120_000 });
    expect(Buffer.compare(Buffer.from(res.value), buf)).toBe(0);
  }, 180_000);

  test("1000 concurrent streams", async () => {
    const streams = Array.from({ length: 1000 }, (_, i) => {
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      const it = c.bidi(items([{ value: Buffer.from(String(i)) }], done), { deadline: 120_000 })[Symbol.asyncIterator]();
      return { it, release };
    });
    const first = await Promise.all(streams.map((s) => s.it.next()));
    first.forEach((r, i) => expect(Buffer.from(r.value.value).toString()).toBe(String(i)));
    for (const s of streams) s.release();
    const ends = await Promise.all(streams.map((s) => s.it.next()));
    expect(ends.every((r) => r.done)).toBe(true);
  }, 180_000);

  test("oversize: request over the Go server's 4 MiB, response over our limit: RESOURCE_EXHAUSTED; the channel still works", async () => {
    const smallSock = join(dir.path, "go-small");
    const smallGo = await startGoServer(smallSock);
    const sc = channel(engine, smallSock, 1 << 20);
    try {
      const s = createClient(Semantics, sc);
      expect((await rejected(s.unary({ value: Buffer.alloc(4 << 20) }))).code).toBe(Code.RESOURCE_EXHAUSTED);
      const big = await rejected(s.unary({}, { metadata: md({ "x-mode": "size", "x-size": String((1 << 20) + 1) }) }));
      expect(big.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(Buffer.from((await s.unary({ value: Buffer.from("ok") })).value).toString()).toBe("ok");
    } finally {
      sc.close();
      await stopGoServer(smallGo);
    }
  }, 60_000);

  test("GOAWAY from the Go server (MaxConnectionAge): calls go on over new connections, a stream in flight completes", async () => {
    const agedSock = join(dir.path, "go-aged");
    const aged = await startGoServer(agedSock, "-max-age", "300ms");
    const ac = channel(engine, agedSock);
    try {
      const a = createClient(Semantics, ac);
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      const it = a.bidi(items([{ value: Buffer.from("long") }], hold), { deadline: 60_000 })[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      const until = Date.now() + 1500;
      let calls = 0;
      while (Date.now() < until) {
        await a.unary({ value: Buffer.from("x") }, { deadline: 20_000 });
        calls++;
      }
      release();
      expect((await it.next()).done).toBe(true);
      expect(calls).toBeGreaterThan(0);
    } finally {
      ac.close();
      await stopGoServer(aged);
    }
  }, 60_000);

  test("GOAWAY from a Go GracefulStop: the stream in flight completes, then UNAVAILABLE", async () => {
    const stopSock = join(dir.path, "go-stop");
    const stopping = await startGoServer(stopSock);
    const sc = channel(engine, stopSock);
    try {
      const s = createClient(Semantics, sc);
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      const it = s.bidi(items([{ value: Buffer.from("a") }], hold), { deadline: 60_000 })[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      await s.unary({}, { metadata: md({ "x-mode": "shutdown" }) });
      await new Promise((r) => setTimeout(r, 300));
      release();
      expect((await it.next()).done).toBe(true);
      expect((await rejected(s.unary({}, { deadline: 3000 }))).code).toBe(Code.UNAVAILABLE);
    } finally {
      sc.close();
      await stopGoServer(stopping);
    }
  }, 60_000);
});

describe("h2 engine: unknown method against grpc-go", () => {
  test("UNIMPLEMENTED with grpc-go's messages", async () => {
    const dir = scratchDir();
    const sock = join(dir.path, "go");
    const go = await startGoServer(sock);
    const ch = new H2Channel({ network: "unix", address: sock });
    try {
      const call = (path: string) =>
        new Promise<{ code: number; details: string }>((resolve) => ch.start(path, { onMessage() {}, onStatus: resolve }).sendLast(Buffer.alloc(0)));
      expect(await call("/rpctest.Semantics/Nope")).toMatchObject({ code: Code.UNIMPLEMENTED, details: "unknown method Nope for service rpctest.Semantics" });
      expect(await call("/nope.Service/Call")).toMatchObject({ code: Code.UNIMPLEMENTED, details: "unknown service nope.Service" });
    } finally {
      ch.close();
      await stopGoServer(go);
      dir.remove();
    }
  }, 60_000);
});

describe("h2 engine over a duplex stream that is not a socket (as a multiplexed broker stream)", () => {
  test("server.accept(stream) and new H2Channel(() => stream) carry unary and streaming calls", async () => {
    const { Duplex } = await import("node:stream");
    const pair = (): [InstanceType<typeof Duplex>, InstanceType<typeof Duplex>] => {
      const a: InstanceType<typeof Duplex> = new Duplex({
        read() {},
        write: (chunk, _enc, cb) => (b.push(chunk), cb()),
        final: (cb) => (b.push(null), cb()),
      });
      const b: InstanceType<typeof Duplex> = new Duplex({
        read() {},
        write: (chunk, _enc, cb) => (a.push(chunk), cb()),
        final: (cb) => (a.push(null), cb()),
      });
      return [a, b];
    };
    const server = new H2Server();
    addServices(server, [semanticsService(() => {})]);
    const ch = new H2Channel(() => {
      const [client, served] = pair();
      server.accept(served);
      return client;
    });
    try {
      const c = createClient(Semantics, ch);
      expect(Buffer.from((await c.unary({ value: Buffer.from("over a pipe") })).value).toString()).toBe("over a pipe");
      let n = 0;
      for await (const _ of c.serverStream({ value: Buffer.from("x") }, { metadata: md({ "x-count": "20" }) })) n++;
      expect(n).toBe(20);
    } finally {
      ch.close();
      server.forceShutdown();
    }
  });
});
