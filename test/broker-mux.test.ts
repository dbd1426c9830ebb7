// GRPCBroker multiplexing (go-plugin's GRPCBrokerMultiplex, yamux) in both directions, against Go.
import type { Channel } from "../src/index.js";
import { watch } from "node:fs";
import { Client, Code, createClient, discardLogger, type Broker, type ClientConfig } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { defaultEngine, H2Channel } from "../src/rpc/index.js";
import { Echo } from "./gen/bench/echo_pb.js";
import { roundTrip, type Clients } from "./broker-round-trip.js";
import { goPluginCmd, processAlive, runGoHost, scratchDir, TEST_HANDSHAKE, tsPluginCmd, tsPluginShell } from "./helpers.js";

type Kind = "go" | "ts";
const pluginSet = {
  test: {
    grpcClient: ({ channel, broker }: { channel: Channel; broker: Broker }): Clients => ({
      test: createClient(Test, channel),
      echo: createClient(Echo, channel),
      broker,
    }),
  },
};

/** Counts the distinct `plugin*` socket names created under `dir` (recursively) while it runs. */
function socketCounter(dir: string): { count(): number; stop(): void } {
  const seen = new Set<string>();
  const w = watch(dir, { recursive: true }, (event, name) => {
    if (event === "rename" && name && /(^|\/)plugin\d+$/.test(name)) seen.add(name);
  });
  return { count: () => seen.size, stop: () => w.close() };
}

function newClient(kind: Kind, socketRoot: string, extra: Partial<ClientConfig> = {}) {
  return new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: pluginSet,
    cmd: kind === "go" ? goPluginCmd() : tsPluginCmd(),
    stdin: "ignore",
    unixSocketConfig: { tempDir: socketRoot },
    logger: discardLogger,
    grpcBrokerMultiplex: true,
    ...extra,
  });
}

async function inBatches<T>(n: number, par: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += par) out.push(...(await Promise.all(Array.from({ length: Math.min(par, n - i) }, f))));
  return out;
}

describe.each<[Kind, boolean]>([
  ["go", false],
  ["go", true],
  ["ts", false],
  ["ts", true],
])("TS host with mux × %s plugin, AutoMTLS %s", (kind, mtls) => {
  test("100 broker round trips both directions over one connection; no socket per brokered connection", async () => {
    const dir = scratchDir();
    const sockets = socketCounter(dir.path);
    const client = newClient(kind, dir.path, { autoMTLS: mtls });
    try {
      const c = await client.dispense<Clients>("test");
      const results = await inBatches(100, 10, () => roundTrip(c));
      expect(new Set(results.map((r) => r.hostId)).size).toBe(100);
      expect(new Set(results.map((r) => r.pluginId)).size).toBe(100);
      // Plugin-side listeners held open at once, each dialled over its own stream.
      const ids = await inBatches(20, 20, () => c.echo.brokered({}));
      const chans = [];
      for (const r of ids) chans.push(await c.broker.dial(r.value));
      const payload = Buffer.alloc(300_000, 7);
      const echoed = await Promise.all(chans.map((ch) => createClient(Echo, ch).echo({ value: payload })));
      // Buffer.equals, not toEqual: jest's deep equality on 6 MB of bytes blocks the event loop for tens of seconds.
      expect(echoed.every((r) => payload.equals(r.value))).toBe(true);
      // Main and brokered channels ride the engine in use, over mux streams.
      const h2 = defaultEngine() === "h2";
      expect([(await client.client()).channel, ...chans].map((ch) => ch instanceof H2Channel)).toEqual(Array(21).fill(h2));
      for (const ch of chans) ch.close();
      // The plugin's main socket is the only one ever made.
      await new Promise((r) => setTimeout(r, 100));
      expect(sockets.count()).toBe(1);
    } finally {
      await client.kill();
      sockets.stop();
      dir.remove();
    }
  });

  test("the plugin dials a host id nobody listens on: go-plugin's knock timeout, and the connection stays usable", async () => {
    const dir = scratchDir();
    const client = newClient(kind, dir.path, { autoMTLS: mtls });
    try {
      const c = await client.dispense<Clients>("test");
      const err = await c.test.bidirectional({ id: 4242 }).catch((e) => e);
      // As with a Go host: a knock for an id nobody accepted waits unanswered, and the plugin's dial times out.
      expect(err.message).toContain("failed to knock before dialling client: timeout waiting for multiplexing knock handshake on id 4242");
      // The connection is still good afterwards.
      expect((await roundTrip(c)).hostId).toBeGreaterThan(0);
    } finally {
      await client.kill();
      dir.remove();
    }
  });

  test("a brokered dial's channelOptions hold over a mux stream: a response over its receive limit is RESOURCE_EXHAUSTED", async () => {
    const dir = scratchDir();
    const client = newClient(kind, dir.path, { autoMTLS: mtls });
    try {
      const c = await client.dispense<Clients>("test");
      const { value: id } = await c.echo.brokered({});
      const echo = createClient(Echo, await c.broker.dial(id, { channelOptions: { maxReceiveMessageLength: 1000 } }));
      expect((await echo.echo({ value: new Uint8Array(10) })).value).toHaveLength(10);
      const err = await echo.echo({ value: new Uint8Array(5000) }, { deadline: 8000 }).catch((e) => e);
      expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
    } finally {
      await client.kill();
      dir.remove();
    }
  });

  test("plugin killed with brokered streams open: UNAVAILABLE, no hang, nothing left", async () => {
    const dir = scratchDir();
    const client = newClient(kind, dir.path, { autoMTLS: mtls });
    const c = await client.dispense<Clients>("test");
    const { value: id } = await c.echo.brokered({});
    const echo = createClient(Echo, await c.broker.dial(id));
    await echo.echo({ value: new Uint8Array([1]) });
    process.kill(client.pid!, "SIGKILL");
    await client.done;
    const err = await echo.echo({ value: new Uint8Array([1]) }, { deadline: 5000 }).catch((e) => e);
    expect(err.code).toBe(Code.UNAVAILABLE);
    const main = await client.ping().catch((e) => e);
    expect(main.code).toBe(Code.UNAVAILABLE);
    await client.kill();
    expect(processAlive(client.pid)).toBe(false);
    dir.remove();
  });
});

describe.each<[boolean]>([[false], [true]])("Go host with GRPCBrokerMultiplex × TS plugin, AutoMTLS %s", (mtls) => {
  test("bidirectional broker round trips ×100; one socket in all, where socket mode makes one per connection", async () => {
    const counts: Record<string, number> = {};
    for (const mux of [true, false]) {
      const dir = scratchDir();
      const sockets = socketCounter(dir.path);
      try {
        const r = await runGoHost(
          ["-cmd", tsPluginShell(), "-scenario", "bidirectional", ...(mtls ? ["-automtls"] : []), ...(mux ? ["-mux"] : [])],
          // Plugin sockets and the Go host's own brokered sockets both land here.
          { PLUGIN_UNIX_SOCKET_DIR: dir.path, TMPDIR: dir.path },
        );
        expect(r.error).toBe("");
        expect(r.ok).toBe(true);
        expect(r.round_trips_ok).toBe(101);
        expect(new Set(r.plugin_ids).size).toBe(101);
        expect(r.killed_gracefully).toBe(true);
        await new Promise((res) => setTimeout(res, 100));
        counts[mux ? "mux" : "sockets"] = sockets.count();
      } finally {
        sockets.stop();
        dir.remove();
      }
    }
    expect(counts.mux).toBe(1);
    // Socket mode makes 1 + 2 × 101 socket files; the recursive watcher can miss a few of them in a
    // subdirectory it is still adding under load, so this asserts "one or more per connection" only.
    expect(counts.sockets).toBeGreaterThan(101);
  });
});

describe("mux handshake", () => {
  test("a TS plugin claims field 7 when the host sets PLUGIN_MULTIPLEX_GRPC, and a Go mux host starts it", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell(), "-mux", "-scenario", "start"]);
    expect(r.error).toBe("");
    expect(r.ok).toBe(true);
  });

  test("a Go plugin asked for mux by a TS host is driven over one connection (TS host, Go plugin, main calls)", async () => {
    const dir = scratchDir();
    const client = newClient("go", dir.path);
    try {
      const c = await client.dispense<Clients>("test");
      expect((await c.test.double({ Input: 21 })).Output).toBe(42);
      const out: number[] = [];
      for await (const m of c.test.stream((async function* () {
        for (const i of [1, 2, 3]) yield { Input: i };
      })())) out.push(m.Output);
      expect(out).toEqual([1, 2, 3]);
      await client.ping();
    } finally {
      await client.kill();
      dir.remove();
    }
  });
});
