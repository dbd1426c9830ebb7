import type { Channel } from "../src/index.js";
import { grpcJsChannelOf } from "../src/rpc/grpc-js-handles.js";
import { tmpdir } from "node:os";
// GRPCBroker in both directions and AutoMTLS on every connection, against Go.
import * as grpc from "@grpc/grpc-js";
import { existsSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { spawn } from "node:child_process";
import {
  Broker,
  BrokerError,
  Client,
  Code,
  createClient,
  generateCert,
  tlsFromPem,
  type ClientConfig,
  type ClientTls,
} from "../src/index.js";
import { derToPem } from "../src/goplugin/mtls-cert.js";
import { create } from "@bufbuild/protobuf";
import { ConnInfoSchema } from "../src/gen/plugin/grpc_broker_pb.js";
import { PingPong, Test } from "./gen/grpctest/test_pb.js";
import { Echo } from "./gen/bench/echo_pb.js";
import { pong, roundTrip, type Clients } from "./broker-round-trip.js";
import { goPluginCmd, GO_PLUGIN, processAlive, ROOT, runGoHost, TEST_HANDSHAKE, TS_PLUGIN, tsPluginCmd, tsPluginShell, targetOf } from "./helpers.js";

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

function newClient(kind: Kind, extra: Partial<ClientConfig> = {}) {
  return new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: pluginSet,
    cmd: kind === "go" ? goPluginCmd() : tsPluginCmd(),
    stdin: "ignore",
    // A private socket dir, removed on kill: Go plugins leave brokered sockets behind.
    unixSocketConfig: { tempDir: tmpdir() },
    logger: { log() {} },
    ...extra,
  });
}

describe.each<[Kind, boolean]>([
  ["go", false],
  ["go", true],
  ["ts", false],
  ["ts", true],
])("TS host × %s plugin, AutoMTLS %s", (kind, mtls) => {
  test("host serves / plugin dials, plugin serves / host dials, nested in one call", async () => {
    const client = newClient(kind, { autoMTLS: mtls });
    try {
      const c = await client.dispense<Clients>("test");
      const r = await roundTrip(c);
      expect(r.hostId).toBe(1);
      expect(r.pluginId).toBeGreaterThanOrEqual(1);
    } finally {
      await client.kill();
    }
  });

  test("≥ 100 brokered connections at once, ids never reused", async () => {
    const client = newClient(kind, { autoMTLS: mtls });
    try {
      const c = await client.dispense<Clients>("test");
      // 100 two-way round trips, 25 in flight: go-plugin's Go broker gives each id 5 s to see its
      // connection info, and 100 simultaneous P-521 mutual-TLS handshakes on a loaded 2-core machine
      // can take longer than that in Go itself. The 100-at-once part is the held-open dials below.
      const results: Array<{ hostId: number; pluginId: number }> = [];
      for (let i = 0; i < 100; i += 25) results.push(...(await Promise.all(Array.from({ length: 25 }, () => roundTrip(c)))));
      const hostIds = results.map((r) => r.hostId);
      const pluginIds = results.map((r) => r.pluginId);
      expect(new Set(hostIds).size).toBe(100);
      expect(new Set(pluginIds).size).toBe(100);
      // Plugin-side listeners held open at once: each id is served on its own socket.
      const ids = await Promise.all(Array.from({ length: 100 }, () => c.echo.brokered({})));
      const chans = await Promise.all(ids.map((r) => c.broker.dial(r.value)));
      const payload = new Uint8Array([1, 2, 3]);
      await Promise.all(chans.map(async (ch) => expect((await createClient(Echo, ch).echo({ value: payload })).value).toEqual(payload)));
      for (const ch of chans) ch.close();
      expect(new Set(ids.map((r) => r.value)).size).toBe(100);
    } finally {
      await client.kill();
    }
  });

  test("plugin killed while brokered connections are open: UNAVAILABLE, no hang, nothing left", async () => {
    const client = newClient(kind, { autoMTLS: mtls });
    const c = await client.dispense<Clients>("test");
    const hostId = c.broker.nextId();
    const hostListener = await c.broker.acceptAndServe(hostId, [pong]);
    const { value: id } = await c.echo.brokered({});
    const ch = await c.broker.dial(id);
    const echo = createClient(Echo, ch);
    await echo.echo({ value: new Uint8Array([1]) });
    process.kill(client.pid!, "SIGKILL");
    await client.done;
    const err = await echo.echo({ value: new Uint8Array([1]) }, { deadline: 5000 }).catch((e) => e);
    expect(err.code).toBe(Code.UNAVAILABLE);
    // The host's brokered listener went with the plugin, before any kill().
    expect(existsSync(hostListener.addr!.address)).toBe(false);
    await client.kill();
    expect(processAlive(client.pid)).toBe(false);
  });
});

describe.each<[boolean]>([[false], [true]])("Go host × TS plugin, AutoMTLS %s", (mtls) => {
  test("bidirectional broker round trips with ≥ 100 distinct ids", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell(), "-scenario", "bidirectional", ...(mtls ? ["-automtls"] : [])]);
    expect(r.error).toBe("");
    expect(r.ok).toBe(true);
    expect(r.pong).toBe("pong");
    expect(new Set(r.ids).size).toBeGreaterThanOrEqual(100);
    expect(new Set(r.plugin_ids).size).toBe(r.plugin_ids.length);
    expect(r.killed_gracefully).toBe(true);
  });
});

describe("broker rendezvous windows", () => {
  test.each<Kind>(["go", "ts"])("dial of an id that is never announced fails after the window, naming the id (%s plugin)", async (kind) => {
    const client = newClient(kind);
    try {
      const c = await client.dispense<Clients>("test");
      const t0 = Date.now();
      const err = await c.broker.dial(4242, { timeoutMs: 300 }).catch((e) => e);
      expect(err).toBeInstanceOf(BrokerError);
      expect(err.code).toBe("DIAL_TIMEOUT");
      expect(err.id).toBe(4242);
      expect(err.message).toContain("broker id 4242");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      await client.kill();
    }
  });

  test.each<Kind>(["go", "ts"])("an unclaimed announcement is dropped after its lifetime (%s plugin)", async (kind) => {
    const client = newClient(kind, { broker: { pendingTtlMs: 200 } });
    try {
      const c = await client.dispense<Clients>("test");
      const { value: early } = await c.echo.brokered({});
      const { value: late } = await c.echo.brokered({});
      const ch = await c.broker.dial(early, { timeoutMs: 1000 });
      ch.close();
      await new Promise((r) => setTimeout(r, 500));
      const err = await c.broker.dial(late, { timeoutMs: 200 }).catch((e) => e);
      expect(err).toMatchObject({ code: "DIAL_TIMEOUT", id: late });
    } finally {
      await client.kill();
    }
  });

  test("a second announcement for a pending id is dropped, as in Go", async () => {
    const b = new Broker();
    b.receive(create(ConnInfoSchema, { serviceId: 7, network: "unix", address: "/tmp/first" }));
    b.receive(create(ConnInfoSchema, { serviceId: 7, network: "unix", address: "/tmp/second" }));
    const ch = await b.dial(7);
    expect(targetOf(ch)).toContain("/tmp/first");
    b.close();
    await expect(b.dial(8)).rejects.toMatchObject({ code: "CLOSED", id: 8 });
  });

  test("ids count per side from 1", () => {
    const b = new Broker();
    expect([b.nextId(), b.nextId(), b.nextId()]).toEqual([1, 2, 3]);
    b.close();
  });
});

/** Tries one Ping with the given credentials on a raw target; returns the status code. */
async function rogueCall(target: string, creds: grpc.ChannelCredentials): Promise<number> {
  const ch = grpcJsChannelOf(new grpc.Client(target, creds, { "grpc.ssl_target_name_override": "localhost" }));
  try {
    await createClient(PingPong, ch).ping({}, { deadline: 3000 });
    return Code.OK;
  } catch (err) {
    return (err as { code: number }).code;
  } finally {
    ch.close();
  }
}

describe("AutoMTLS security", () => {
  test.each<Kind>(["go", "ts"])("no certificate or another self-signed one is refused on the main and brokered sockets (%s plugin)", async (kind) => {
    const client = newClient(kind, { autoMTLS: true });
    try {
      const c = await client.dispense<Clients>("test");
      await client.ping();
      const { value: id } = await c.echo.brokered({});
      const brokered = await c.broker.dial(id);
      // The brokered socket serves the legitimate host.
      await createClient(Echo, brokered).echo({ value: new Uint8Array([9]) });
      const brokeredTarget = targetOf(brokered);
      brokered.close();
      const hostId = c.broker.nextId();
      const hostListener = await c.broker.acceptAndServe(hostId, [pong]);
      const stranger = await generateCert();
      const paths = [client.address!.address, brokeredTarget.replace(/^unix:\/*/, "/"), hostListener.addr!.address];
      for (const path of paths) {
        expect(existsSync(path)).toBe(true);
        const target = `unix://${path}`;
        expect(await rogueCall(target, grpc.credentials.createInsecure())).toBe(Code.UNAVAILABLE);
        expect(
          await rogueCall(target, grpc.credentials.createSsl(Buffer.from(stranger.certPem), Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem))),
        ).toBe(Code.UNAVAILABLE);
      }
      // The legitimate host still works on every socket.
      expect((await c.test.double({ Input: 2 })).Output).toBe(4);
      hostListener.close();
    } finally {
      await client.kill();
    }
  });

  test.each<Kind>(["go", "ts"])("the plugin refuses a host certificate other than the one in PLUGIN_CLIENT_CERT (%s plugin)", async (kind) => {
    const announced = await generateCert();
    const used = await generateCert();
    const impostor = (pluginPem?: string): ClientTls => ({
      ...tlsFromPem({ ca: pluginPem ?? used.certPem, cert: used.certPem, key: used.keyPem }),
      certPem: announced.certPem,
      withServerCert: (der) => impostor(derToPem(der)),
    });
    const client = newClient(kind, { tls: impostor() });
    try {
      await client.start();
      const err = await client.ping().catch((e) => e);
      expect(err.code).toBe(Code.UNAVAILABLE);
    } finally {
      await client.kill();
    }
  });
});

/** The first stdout line of a plugin started with `env`. */
function handshakeLine(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, TEST_MAGIC_COOKIE: "test", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000", ...env },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        p.kill("SIGTERM");
        resolve(out.slice(0, nl));
      }
    });
    p.on("exit", () => reject(new Error(`no handshake line: ${out}`)));
  });
}

describe.each<[Kind, string, string[]]>([
  ["go", GO_PLUGIN, []],
  ["ts", process.execPath, ["--import", "tsx", TS_PLUGIN]],
])("handshake certificate field (%s plugin)", (_kind, cmd, args) => {
  test("absent without PLUGIN_CLIENT_CERT", async () => {
    const line = await handshakeLine(cmd, args, {});
    const fields = line.split("|");
    expect(fields).toHaveLength(6);
    expect(fields[5]).toBe("");
  });

  test("with PLUGIN_CLIENT_CERT: unpadded standard base64 DER of go-plugin's certificate profile", async () => {
    const host = await generateCert();
    const line = await handshakeLine(cmd, args, { PLUGIN_CLIENT_CERT: host.certPem });
    const field = line.split("|")[5]!;
    expect(field).toMatch(/^[A-Za-z0-9+/]+$/);
    expect(field.length).toBeGreaterThan(700);
    const cert = new X509Certificate(Buffer.from(field, "base64"));
    expect(cert.subject).toBe("O=HashiCorp\nCN=localhost");
    expect(cert.subjectAltName).toBe("DNS:localhost");
    expect(cert.ca).toBe(true);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"]);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: "secp521r1" });
    expect(cert.verify(cert.publicKey)).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 24 * 3600e3);
    expect(Math.round(years)).toBe(30);
  });
});
