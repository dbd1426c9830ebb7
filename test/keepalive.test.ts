// Client keepalive against grpc-go's server-side enforcement (grpc-go as go-plugin v1.8.0 pins it):
// a PING closer than the server's MinTime to the previous one is a strike, and after the third
// the server sends GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and closes the connection. go-plugin's
// Go servers keep grpc-go's default MinTime of 5 minutes, so the library pings every 310 s; these
// tests scale both sides down (MinTime 1 s) on each engine.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Semantics } from "./gen/rpctest/semantics_pb.js";
import { Code, createClient, H2Channel, RpcError, type Channel } from "../src/index.js";
import { dialChannel } from "../src/rpc/transport.js";
import { scratchDir } from "./helpers.js";
import { startGoServer, stopGoServer } from "./rpcsemantics-server.js";

/** A bidi stream that sends one message, reads its echo, then stays open (no data either way) until `release`. */
async function heldStream(ch: Channel) {
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  const reqs = (async function* () {
    yield { value: Buffer.from("hold") };
    await hold;
  })();
  const it = createClient(Semantics, ch).bidi(reqs, { deadline: 60_000 })[Symbol.asyncIterator]();
  expect((await it.next()).done).toBe(false);
  return { it, release };
}

describe.each(["h2", "grpc-js"] as const)("keepalive on the %s engine against grpc-go's enforcement (MinTime 1 s)", (engine) => {
  const dir = scratchDir();
  let go: ChildProcess;
  const sock = join(dir.path, "go");
  beforeAll(async () => {
    go = await startGoServer(sock, "-ping-min-time", "1s");
  });
  afterAll(async () => {
    await stopGoServer(go);
    dir.remove();
  });

  test("PINGs no closer than MinTime: a stream idle through several of them is left alone", async () => {
    const ch = dialChannel({ network: "unix", address: sock }, { engine, keepalive: { timeMs: 1500, timeoutMs: 5000 } });
    try {
      const { it, release } = await heldStream(ch);
      await new Promise((r) => setTimeout(r, 6000));
      release();
      expect((await it.next()).done).toBe(true);
    } finally {
      ch.close();
    }
  }, 30_000);

  test("PINGs closer than MinTime: GOAWAY too_many_pings ends the idle stream; the channel slows down and serves on", async () => {
    const ch = dialChannel({ network: "unix", address: sock }, { engine, keepalive: { timeMs: 200, timeoutMs: 5000 } });
    try {
      const { it, release } = await heldStream(ch);
      const t0 = Date.now();
      const err = await it.next().catch((e) => e);
      release();
      expect(err).toBeInstanceOf(RpcError);
      if (engine === "h2") {
        // grpc-go's client: UNAVAILABLE, naming the GOAWAY.
        expect(err.code).toBe(Code.UNAVAILABLE);
        expect(err.details).toContain('debug data: "too_many_pings"');
      } else {
        // grpc-js maps the ENHANCE_YOUR_CALM the connection ended with to RESOURCE_EXHAUSTED.
        expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
      }
      expect(Date.now() - t0).toBeLessThan(10_000);
      // As grpc-js does, the interval doubles after such a GOAWAY.
      if (ch instanceof H2Channel) expect((ch as unknown as { keepaliveTimeMs: number }).keepaliveTimeMs).toBe(400);
      expect((await createClient(Semantics, ch).unary({ value: Buffer.from("x") }, { deadline: 10_000 })).value).toEqual(Buffer.from("x"));
    } finally {
      ch.close();
    }
  }, 30_000);
});
