// A TypeScript LOOP host against chainlink-common v0.11.1's real Go test
// plugins (relayer and median): the median round, the relayer API, the proxy,
// failure paths and cleanup.
import { grpcJsChannelOf } from "../src/rpc/grpc-js-handles.js";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindServer, Code, createClient, createServer, RpcError } from "../src/index.js";
import { MedianService, MEDIAN_PROVIDER_SERVICES } from "../src/loop/host/median-service.js";
import { RelayerService, type RelayerServiceConfig } from "../src/loop/host/relayer-service.js";
import { registerProxy } from "../src/rpc/proxy.js";
import { fromBigIntWire } from "../src/loop/wire/bigint.js";
import { Duration } from "../src/loop/wire/duration.js";
import type { LogEntry } from "../src/goplugin/logger.js";
import type { ProviderConnection } from "../src/loop/services/provider-connection.js";
import { Codec } from "../src/gen/loop/internal/codec/codec_pb.js";
import { MedianContract, OnchainConfigCodec, ReportCodec } from "../src/gen/loop/internal/pb/median_pb.js";
import * as F from "../examples/loop/fixtures.js";
import { BIN, processAlive } from "./helpers.js";

const PLUGIN = join(BIN, "loop-test-plugin");
const keystore = F.KEYSTORE;

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function setup(extra: Partial<RelayerServiceConfig> = {}) {
  const logs: LogEntry[] = [];
  const socketDir = mkdtempSync(join(tmpdir(), "loop-"));
  scratch.push(socketDir);
  const common = { logger: { log: (e: LogEntry) => logs.push(e) }, clientOptions: { unixSocketConfig: { tempDir: socketDir } } };
  const relayer = new RelayerService({
    cmd: { command: PLUGIN, args: ["-cmd", "relayer", "-static-checks"] },
    config: F.RELAYER_CONFIG,
    keystore,
    csaKeystore: keystore,
    ...common,
    ...extra,
  });
  const savedErrors: string[] = [];
  const observedTimestamps: F.ReportTimestampLike[] = [];
  const proxied: Array<[string, Code]> = [];
  const median = (provider: ProviderConnection) =>
    new MedianService({
      cmd: { command: PLUGIN, args: ["-cmd", "median"] },
      provider,
      contractId: F.CONTRACT_ID,
      dataSource: { observe: async (ts) => (observedTimestamps.push(ts), F.DATA_SOURCE_VALUE) },
      juelsPerFeeCoin: { observe: async () => F.JUELS_PER_FEE_COIN },
      gasPriceSubunits: { observe: async () => F.GAS_PRICE_SUBUNITS },
      errorLog: { saveError: async (m) => void savedErrors.push(m) },
      onProxiedCall: (path, code) => proxied.push([path, code]),
      ...common,
    });
  return { relayer, median, logs, savedErrors, observedTimestamps, proxied, socketDir };
}

describe("TS LOOP host × Go relayer and median plugins", () => {
  test("a full median round with the fixed values checked on both sides, then nothing left behind", async () => {
    const s = setup();
    const pids: Array<number | undefined> = [];
    let m: MedianService | undefined;
    try {
      const provider = await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
      m = s.median(provider);
      // NewMedianFactory makes the Go plugin check the provider, the data sources
      // (timestamp, 999, 1234, 777) and call SaveError; any mismatch fails the RPC.
      const { plugin, info } = await m.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
      pids.push(s.relayer.client?.pid, m.client?.pid);
      expect(info).toEqual(F.REPORTING_PLUGIN_INFO);
      expect(s.savedErrors).toEqual([F.SAVED_ERROR]);
      expect(s.observedTimestamps[0]).toEqual(F.OBSERVE_TIMESTAMP);

      const ts = F.ROUND_TIMESTAMP;
      expect(Buffer.from(await plugin.query(ts))).toEqual(Buffer.from(F.QUERY));
      const obs = await plugin.observation(ts, F.QUERY);
      expect(Buffer.from(obs)).toEqual(Buffer.from(F.OBSERVATION));
      const report = await plugin.report(ts, F.QUERY, [{ observation: obs, observer: F.OBSERVER }]);
      expect(report.shouldReport).toBe(true);
      expect(Buffer.from(report.report)).toEqual(Buffer.from(F.REPORT));
      expect(await plugin.shouldAcceptFinalizedReport(ts, report.report)).toBe(true);
      expect(await plugin.shouldTransmitAcceptedReport(ts, report.report)).toBe(true);
      // uint8 fields are range-checked before anything is sent.
      await expect(plugin.query({ ...ts, round: 256 })).rejects.toThrow("round: 256 does not fit in a uint8");
      // loop.Service on the factory and relayer connections.
      await m.ready();
      expect(Object.keys(await m.healthReport()).length).toBeGreaterThan(0);
      await s.relayer.ready();
    } finally {
      await m?.close();
      await s.relayer.close();
    }
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    // Every socket (plugins' and the host's brokered listeners) lived under this directory.
    expect(readdirSync(s.socketDir)).toEqual([]);
    rmSync(s.socketDir, { recursive: true });
  });

  test("the relayer API with -static-checks: chain status and info, ListNodeStatuses(137), Transact; Go errors arrive as UNKNOWN", async () => {
    const s = setup();
    try {
      expect(await s.relayer.getChainStatus()).toEqual({ id: "some_chain", enabled: true, config: "" });
      expect(await s.relayer.getChainInfo()).toEqual({ familyName: "someFamily", chainId: "123", networkName: "someNetwork", networkNameFull: "someNetwork-test" });
      const page = await s.relayer.listNodeStatuses(137);
      expect(page.total).toBe(2);
      expect(page.nodes.map((n) => [n.chainId, n.state])).toEqual([["foo", "Alive"], ["foo", "Alive"]]);
      await expect(s.relayer.listNodeStatuses(10)).rejects.toMatchObject({ code: Code.UNKNOWN });
      await s.relayer.transact("me", "you", 97n, true);
      const bad = await s.relayer.transact("me", "you", 98n, true).catch((e) => e);
      expect(bad).toBeInstanceOf(RpcError);
      expect(bad.code).toBe(Code.UNKNOWN);
      expect(bad.details).toBe("expected amount 97 but got 98");
      await expect(s.relayer.latestHead()).rejects.toMatchObject({ code: Code.UNKNOWN, details: "not implemented" });
    } finally {
      await s.relayer.close();
    }
  });

  test("the host's own provider calls: digests, BigInt, timestamps, nanosecond durations", async () => {
    const s = setup();
    try {
      const p = await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
      expect(await p.offchainConfigDigester.configDigestPrefix()).toBe(99);
      const cfg = await p.contractConfigTracker.latestConfig(14n);
      expect(cfg.configCount).toBe(42n);
      expect(cfg.f).toBe(11);
      expect(cfg.transmitters).toEqual(["foo", "bar"]);
      expect(Buffer.from(await p.offchainConfigDigester.configDigest(cfg))).toEqual(Buffer.from(F.PROVIDER.configDigest));
      expect(await p.contractConfigTracker.latestBlockHeight()).toBe(1337n);
      expect((await p.contractTransmitter.latestConfigDigestAndEpoch()).epoch).toBe(88);
      const codec = createClient(ReportCodec, p.channel);
      expect(fromBigIntWire((await codec.medianFromReport({ report: F.REPORT })).median)).toBe(-1042n);
      expect((await codec.maxReportLength({ n: 12n })).max).toBe(101n);
      const onchain = createClient(OnchainConfigCodec, p.channel);
      const decoded = (await onchain.decode({ encoded: F.bytesAt(6, { 5: 11 }) })).onchainConfig;
      expect([fromBigIntWire(decoded?.min), fromBigIntWire(decoded?.max)]).toEqual([-12n, 1234567890987654321n]);
      const contract = createClient(MedianContract, p.channel);
      const det = await contract.latestTransmissionDetails({});
      expect(fromBigIntWire(det.latestAnswer)).toBe(123n);
      expect([det.latestTimestamp?.seconds, det.latestTimestamp?.nanos]).toEqual([1234567890n, 987654321]);
      expect((await contract.latestRoundRequested({ lookback: Duration.seconds(64) })).round).toBe(11);
      await expect(contract.latestRoundRequested({ lookback: Duration.ms(64) })).rejects.toMatchObject({ code: Code.UNKNOWN });
    } finally {
      await s.relayer.close();
    }
  });

  test("the proxy: the median plugin's provider calls all travel through the host; UNIMPLEMENTED passes unchanged", async () => {
    const s = setup();
    let m: MedianService | undefined;
    const proxyServer = createServer({ engine: "grpc-js" });
    try {
      const provider = await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
      m = s.median(provider);
      await m.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
      const services = new Set(s.proxied.map(([p]) => p.split("/")[1]));
      for (const svc of ["loop.OffchainConfigDigester", "loop.ContractConfigTracker", "loop.ContractTransmitter", "loop.ContractReader", "loop.ReportCodec", "loop.MedianContract", "loop.OnchainConfigCodec", "codec.Codec"]) {
        expect(services).toContain(svc);
      }
      // The median plugin's Codec probe came back UNIMPLEMENTED from the relayer, through the proxy.
      expect(s.proxied).toContainEqual(["/codec.Codec/GetDecoding", Code.UNIMPLEMENTED]);
      // Same answer directly and through a proxy hop.
      const direct = await createClient(Codec, provider.channel).getDecoding({}).catch((e) => e);
      registerProxy(proxyServer, MEDIAN_PROVIDER_SERVICES, () => provider.channel);
      const bound = await bindServer(proxyServer, { socketDir: s.socketDir });
      const viaProxy = grpcJsChannelOf(new grpc.Client(`unix://${bound.addr.address}`, grpc.credentials.createInsecure()));
      const relayed = await createClient(Codec, viaProxy).getDecoding({}).catch((e) => e);
      expect([relayed.code, relayed.details]).toEqual([direct.code, direct.details]);
      expect(direct.code).toBe(Code.UNIMPLEMENTED);
      expect(await createClient(ReportCodec, viaProxy).maxReportLength({ n: 12n })).toMatchObject({ max: 101n });
      viaProxy.close();
      bound.release();
    } finally {
      proxyServer.forceShutdown();
      await m?.close();
      await s.relayer.close();
    }
  });

  test("a keystore with no accounts fails NewRelayer with the Go error text", async () => {
    const empty = { ...keystore, accounts: async () => [] };
    const s = setup({ keystore: empty });
    try {
      const err = await s.relayer.getChainStatus().catch((e) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.UNKNOWN);
      expect(err.details).toContain("expected at least one key but got none");
    } finally {
      await s.relayer.close();
    }
    expect(processAlive(s.relayer.client?.pid)).toBe(false);
  });

  test("the median plugin killed mid-round gives UNAVAILABLE, not a hang", async () => {
    const s = setup();
    let m: MedianService | undefined;
    try {
      const provider = await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
      m = s.median(provider);
      const { plugin } = await m.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
      await plugin.query(F.ROUND_TIMESTAMP);
      process.kill(m.client!.pid!, "SIGKILL");
      await m.client!.done;
      const err = await plugin.observation(F.ROUND_TIMESTAMP, F.QUERY).catch((e) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.UNAVAILABLE);
    } finally {
      await m?.close();
      await s.relayer.close();
    }
    expect(readdirSync(s.socketDir)).toEqual([]);
    rmSync(s.socketDir, { recursive: true });
  });

  test("the Go plugins' logs reach the host logger with their levels and logger names", async () => {
    const s = setup();
    try {
      await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
    } finally {
      await s.relayer.close();
    }
    const started = s.logs.find((e) => e.message === "Started" && e.name?.endsWith("staticMedianProvider"));
    expect(started).toMatchObject({ level: "info", name: "plugin.loop-test-plugin.staticPluginRelayer.staticRelayer.staticMedianProvider" });
    expect(started?.args).not.toHaveProperty("logger");
    expect(new Set(s.logs.map((e) => e.level))).toContain("debug");
  });
});

