// The TypeScript relayer LOOP plugin (test/fixtures/loop/relayer-plugin.ts) driven
// by chainlink-common v0.11.1's real Go host code (interop/.bin/loop-host: the
// public loop.NewRelayerService / loop.NewMedianService), with the real Go
// median test plugin checking the TS relayer's median provider through the
// host's proxy; then the same plugin under the TypeScript host.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient, RpcError } from "../src/index.js";
import { MedianService } from "../src/loop/host/median-service.js";
import { RelayerService, type RelayerServiceConfig } from "../src/loop/host/relayer-service.js";
import type { RelayerImpl } from "../src/loop/services/relayer.js";
import { ContractReaderClient, Confidence } from "../src/loop/services/contract-reader.js";
import { InMemoryCapabilitiesRegistry } from "../src/loop/services/capabilities-registry.js";
import { LoopServiceClient, loopServiceServer } from "../src/loop/services/service.js";
import { MedianContractClient, OnchainConfigCodecClient, ReportCodecClient } from "../src/loop/services/median-provider.js";
import type { LogEntry } from "../src/goplugin/logger.js";
import { Codec } from "../src/gen/loop/internal/codec/codec_pb.js";
import * as F from "../examples/loop/fixtures.js";
import { nodeTs } from "../examples/support.js";
import { BIN, processAlive, processesMatching, ROOT } from "./helpers.js";

const LOOP_HOST = join(BIN, "loop-host");
const GO_PLUGIN = join(BIN, "loop-test-plugin");
const RELAYER_PLUGIN = join(ROOT, "test", "fixtures", "loop", "relayer-plugin.ts");

/**
 * The relayer command. Go LOOP hosts start plugins without PATH or HOME
 * (SkipHostEnv) and in their own working directory, so every part is absolute
 * (node, tsx's loader as a file URL, the script). The marker, which the plugin
 * ignores, finds its processes afterwards.
 */
function relayerArgv(marker: string): string[] {
  return [...nodeTs("test/fixtures/loop/relayer-plugin.ts"), `--marker=${marker}`];
}

interface HostResult {
  ok: boolean;
  error: string;
  /** The host's log (with -v it includes every retried NewMedianFactory error). */
  stderr: string;
  steps: Array<{ name: string; ok: boolean; detail: string; ms: number }>;
  report_hex: string;
  should_report: boolean;
  should_accept: boolean;
  should_transmit: boolean;
  errorlog_messages: string[];
  health: Record<string, string>;
  provider_codec: boolean;
  provider_contract_reader: boolean;
  leftover_children: number;
  recovery_ms?: number[];
  relayer_cmd: string[];
  exitCode: number;
}

/** Runs loop-host; its JSON line is printed even when it exits 1 (deadline expired). */
function runLoopHost(args: string[], timeoutMs = 90_000): Promise<HostResult> {
  return new Promise((resolve, reject) => {
    // A working directory other than the repository's: nothing may depend on it.
    execFile(LOOP_HOST, args, { timeout: timeoutMs, maxBuffer: 16 << 20, cwd: tmpdir() }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve({ ...JSON.parse(last), stderr, exitCode: err ? ((err as { code?: number }).code ?? -1) : 0 });
      } catch {
        reject(new Error(`loop-host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

beforeAll(() => {
  for (const f of [LOOP_HOST, GO_PLUGIN, RELAYER_PLUGIN]) expect(existsSync(f)).toBe(true);
  expect(existsSync(new URL(relayerArgv("x")[2]))).toBe(true);
});

describe("Go LOOP host × TS relayer plugin × Go median plugin", () => {
  test("one OCR2 round: the Go host's own provider checks and the Go median plugin's NewMedianFactory checks all pass", async () => {
    const marker = randomUUID();
    const res = await runLoopHost(["-timeout", "60s", "-relayer-cmd", relayerArgv(marker).join(" ")]);
    expect(res.error).toBe("");
    expect(res.ok).toBe(true);
    expect(res.exitCode).toBe(0);
    expect(res.relayer_cmd).toEqual(relayerArgv(marker));
    expect(res.steps.filter((s) => !s.ok)).toEqual([]);
    for (const name of [
      "relayer_start",
      "new_plugin_provider",
      "provider_ready",
      "provider_offchain_config_digester",
      "provider_contract_config_tracker",
      "provider_contract_transmitter",
      "provider_report_codec",
      "provider_median_contract",
      "provider_onchain_config_codec",
      "provider_contract_reader",
      "new_reporting_plugin",
      "close_provider",
      "close_relayer_service",
    ]) {
      expect(res.steps.map((s) => s.name)).toContain(name);
    }
    expect(res.steps.find((s) => s.name === "new_plugin_provider")?.detail).toBe("*median.ProviderClient");
    expect(res.steps.find((s) => s.name === "provider_median_contract")?.detail).toBe("2009-02-13T23:31:30.987654321Z");
    // The round's values.
    expect(res.report_hex).toBe(hex(F.REPORT));
    expect(res.report_hex.length).toBe(86);
    expect(Buffer.from(res.report_hex, "hex")[42]).toBe(101);
    expect(res.should_report).toBe(true);
    expect(res.should_accept).toBe(true);
    expect(res.should_transmit).toBe(true);
    expect(res.errorlog_messages).toEqual([F.SAVED_ERROR]);
    // The Go provider client's probes: a ContractReader is served, a Codec is not.
    expect(res.provider_contract_reader).toBe(true);
    expect(res.provider_codec).toBe(false);
    // Health as Go's host sees it, with the TS plugin's service names.
    expect(res.health).toMatchObject({
      RelayerService: "",
      "RelayerService.PluginRelayerClient": "",
      "RelayerService.PluginRelayerClient.staticPluginRelayer": "",
      "RelayerService.PluginRelayerClient.staticPluginRelayer.staticRelayer": "",
      "RelayerService.PluginRelayerClient.staticPluginRelayer.staticRelayer.staticMedianProvider": "",
    });
    expect(Object.values(res.health).every((v) => v === "")).toBe(true);
    expect(res.leftover_children).toBe(0);
    expect(processesMatching(marker)).toEqual([]);
  });

  test("a wrong provider value (TS_RELAYER_FAULT via -env) is named by the Go host and by the Go median plugin", async () => {
    // NewReportingPlugin is retried by Go's PluginService until the deadline, so keep it short.
    const run = (fault: string, marker: string) =>
      runLoopHost(["-v", "-timeout", "15s", "-env", `TS_RELAYER_FAULT=${fault}`, "-relayer-cmd", relayerArgv(marker).join(" ")]);
    const markers = [randomUUID(), randomUUID()];
    const [prefix, reader] = await Promise.all([run("digest-prefix", markers[0]), run("latest-value", markers[1])]);

    expect(prefix.ok).toBe(false);
    // The host's own check …
    expect(prefix.error).toContain("provider_offchain_config_digester: ConfigDigestPrefix 98, want 99");
    // … and the median plugin's, through the host's proxy (Go prints the prefix with %x of its decimal text).
    // Go retries until its deadline, so the last error may be the deadline; every attempt is in the log.
    expect(prefix.error + prefix.stderr).toContain("NewMedianFactory: provider does not equal a static median provider implementation: providers offchain digester does not equal static offchain digester: expected ConfigDigestPrefix");
    expect(prefix.steps.find((s) => s.name === "provider_contract_reader")?.ok).toBe(true);

    expect(reader.ok).toBe(false);
    expect(reader.error).toContain("provider_contract_reader: GetLatestValue map[ret1:latestValue1 ret2:wrongValue2], want map[ret1:latestValue1 ret2:latestValue2]");
    expect(reader.error + reader.stderr).toContain(
      "providers contract reader does not equal static contract reader: GetLatestValue: expected map[ret1:latestValue1 ret2:latestValue2] but got map[ret1:latestValue1 ret2:wrongValue2]",
    );
    // Only the faulty service failed on the host side.
    expect(reader.steps.filter((s) => !s.ok).map((s) => s.name)).toEqual(["provider_contract_reader", "new_reporting_plugin"]);

    for (const r of [prefix, reader]) expect(r.leftover_children).toBe(0);
    for (const m of markers) expect(processesMatching(m)).toEqual([]);
  }, 60_000);
});

describe("Go LOOP host supervising the TS relayer plugin", () => {
  test("SIGKILLed under chainlink-common's RelayerService: Go's keepAlive relaunches it, NewRelayer runs again, GetChainStatus succeeds", async () => {
    const marker = randomUUID();
    // loop-host -recover: start, GetChainStatus, SIGKILL the plugin, GetChainStatus again (Go's refresh retries it).
    const res = await runLoopHost(["-timeout", "60s", "-recover", "1", "-relayer-cmd", relayerArgv(marker).join(" ")]);
    expect(res.error).toBe("");
    expect(res.ok).toBe(true);
    expect(res.steps.map((s) => [s.name, s.ok])).toEqual([
      ["relayer_start", true],
      ["first_get_chain_status", true],
      ["recovery_1", true],
      ["close_relayer_service", true],
    ]);
    expect(res.recovery_ms).toHaveLength(1);
    expect(res.leftover_children).toBe(0);
    expect(processesMatching(marker)).toEqual([]);
  });
});

describe("Go LOOP host's capabilities registry × TS relayer plugin", () => {
  test("the TS registry client against chainlink-common's registry server: node, DONs, config; Go's texts for what the Go registry lacks", async () => {
    const marker = randomUUID();
    const res = await runLoopHost(["-timeout", "60s", "-registry", "-surface", "-env", "TS_RELAYER_REGISTRY=cap@1.0.0", "-env", "TS_RELAYER_CCIP=1", "-relayer-cmd", relayerArgv(marker).join(" ")]);
    expect(res.error).toBe("");
    // NewCCIPProvider from chainlink-common's relayer client (lazy: the first call carries the refusal):
    // every argument arrived, the bundle the Go host serves was dialed, and the relayer's own error came back as Go's server sends it.
    const ccip = (res as unknown as { surface: Record<string, { ok: boolean; error?: string; code?: string }> }).surface;
    expect(ccip["ccip_provider/new"]).toEqual({ ok: true });
    expect(ccip["ccip_provider/get_chain_fee_components"]).toEqual({
      ok: false,
      code: "Unknown",
      error:
        "context deadline exceeded: last error: rpc error: code = Unknown desc = ccip provider refused: job " + F.RELAY_ARGS.externalJobId +
        ', plugin type 0, off-ramp fakeAddress, transmitter fakeAddress, reader config test, writer config chainwriterconfig, synced [], extra data codec bundle dialed',
    });
    const status = (res as unknown as { surface: Record<string, { ok: boolean; value: { config: string } }> }).surface["relayer/chain_status"];
    expect(status.ok).toBe(true);
    expect(JSON.parse(status.value.config)).toEqual({
      localNode: { peerId: "01".repeat(32), operator: 42, signer: "05".repeat(32), workflowDon: "workflow", f: 1 },
      nodeByPeerId: 42,
      donsForCapability: [{ id: 1, members: 2, nodes: 1 }],
      // chainlink-common's registry server does not put RestrictedKeys (nor RestrictedConfig) on the wire.
      configForCapability: { localOnly: true, restrictedKeys: [], remote: "remoteTargetConfig" },
      // chainlink-common's UnimplementedCapabilitiesRegistryBase, as its server sends them (plain errors: UNKNOWN).
      get: { error: "Get not implemented" },
      list: { error: "List not implemented" },
      add: { error: "Add not implemented" },
      remove: { error: "Remove not implemented" },
      getAfterRemove: { error: "Get not implemented" },
    });
    expect(res.leftover_children).toBe(0);
    expect(processesMatching(marker)).toEqual([]);
  }, 90_000);
});

describe("TS LOOP host × TS relayer plugin × Go median plugin", () => {
  const keystore = F.KEYSTORE;
  const scratch: string[] = [];
  afterAll(() => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  function setup(extra: Partial<RelayerServiceConfig> = {}) {
    const logs: LogEntry[] = [];
    const socketDir = mkdtempSync(join(tmpdir(), "loop-ts-relayer-"));
    scratch.push(socketDir);
    const marker = randomUUID();
    const common = { logger: { log: (e: LogEntry) => logs.push(e) }, clientOptions: { unixSocketConfig: { tempDir: socketDir } } };
    const [command, ...args] = relayerArgv(marker);
    const relayer = new RelayerService({ cmd: { command, args }, config: F.RELAYER_CONFIG, keystore, csaKeystore: keystore, ...common, ...extra });
    const savedErrors: string[] = [];
    const observed: F.ReportTimestampLike[] = [];
    const proxied: Array<[string, number]> = [];
    const median = (provider: Awaited<ReturnType<RelayerService["newPluginProvider"]>>) =>
      new MedianService({
        cmd: { command: GO_PLUGIN, args: ["-cmd", "median"] },
        provider,
        contractId: F.CONTRACT_ID,
        dataSource: { observe: async (ts) => (observed.push(ts), F.DATA_SOURCE_VALUE) },
        juelsPerFeeCoin: { observe: async () => F.JUELS_PER_FEE_COIN },
        gasPriceSubunits: { observe: async () => F.GAS_PRICE_SUBUNITS },
        errorLog: { saveError: async (m) => void savedErrors.push(m) },
        onProxiedCall: (path, code) => proxied.push([path, code]),
        ...common,
      });
    return { relayer, median, logs, savedErrors, observed, proxied, socketDir, marker };
  }

  test("a full median round, the relayer API and the provider from the host, then nothing left behind", async () => {
    const s = setup();
    const pids: Array<number | undefined> = [];
    let m: MedianService | undefined;
    try {
      // The relayer API, checked by the TS plugin like Go's -static-checks.
      expect(await s.relayer.getChainStatus()).toEqual({ id: "some_chain", enabled: true, config: "" });
      expect(await s.relayer.getChainInfo()).toEqual({ familyName: "someFamily", chainId: "123", networkName: "someNetwork", networkNameFull: "someNetwork-test" });
      const page = await s.relayer.listNodeStatuses(137);
      expect(page).toMatchObject({ total: 2, nextPageToken: "" });
      expect(page.nodes.map((n) => [n.chainId, n.state, n.config])).toEqual([
        ["foo", "Alive", "Name = 'bar'\nURL = 'http://example.com'\n"],
        ["foo", "Alive", "Name = 'baz'\nURL = 'https://test.url'\n"],
      ]);
      await expect(s.relayer.listNodeStatuses(10)).rejects.toMatchObject({ code: Code.UNKNOWN, details: "expected page_size 137 but got 10" });
      await s.relayer.transact("me", "you", 97n, true);
      await expect(s.relayer.transact("me", "you", 98n, true)).rejects.toMatchObject({ code: Code.UNKNOWN, details: "expected amount 97 but got 98" });
      await expect(s.relayer.latestHead()).rejects.toMatchObject({ code: Code.UNKNOWN, details: "not implemented" });
      // Go's relayer server texts: an unknown provider type, and a known one the relayer has no factory for.
      await expect(s.relayer.newPluginProvider({ ...F.RELAY_ARGS, providerType: "dkg" }, F.PLUGIN_ARGS)).rejects.toMatchObject({
        code: Code.UNKNOWN,
        details: "provider type not supported: dkg",
      });
      await expect(s.relayer.newPluginProvider({ ...F.RELAY_ARGS, providerType: "mercury" }, F.PLUGIN_ARGS)).rejects.toMatchObject({
        code: Code.UNIMPLEMENTED,
        details: "mercury not supported by relayer",
      });
      await expect(s.relayer.newPluginProvider({ ...F.RELAY_ARGS, jobId: 124 }, F.PLUGIN_ARGS)).rejects.toMatchObject({
        details: expect.stringContaining("expected relay args:"),
      });
      // NewCCIPProvider's checks before the relayer is asked (Go's order and texts): the job id's bytes, then the bundle's dial.
      const rc = await s.relayer.relayer();
      const ccip = { ccipProviderArgs: { externalJobID: Uint8Array.of(1, 2, 3), contractReaderConfig: new Uint8Array(), chainWriterConfig: new Uint8Array(), offRampAddress: new Uint8Array(), pluginType: 0, syncedAddresses: {}, transmitterAddress: "", extraDataCodecBundleID: 0 } };
      await expect(rc.rpc.newCCIPProvider(ccip)).rejects.toMatchObject({ code: Code.UNKNOWN, details: "invalid uuid bytes for ExternalJobID: invalid UUID (got 3 bytes)" });
      const ccipArgs = { externalJobId: F.RELAY_ARGS.externalJobId, contractReaderConfig: new Uint8Array(), chainWriterConfig: new Uint8Array(), offRampAddress: new Uint8Array(), pluginType: 1, transmitterAddress: "t", syncedAddresses: {} };
      await expect(rc.newCCIPProvider(ccipArgs, 4242)).rejects.toMatchObject({
        code: Code.UNKNOWN,
        details: expect.stringMatching(/^failed to dial ExtraDataCodecBundle client connection 4242: timeout waiting for connection info/),
      });
      // A relayer without newCCIPProvider: Go's types.UnimplementedRelayer answer.
      await expect(rc.newCCIPProvider(ccipArgs)).rejects.toMatchObject({ code: Code.UNIMPLEMENTED, details: "method NewCCIPProvider not implemented" });
      // This library serves no CCIP provider, so a TS relayer's newCCIPProvider cannot return one (checked by tsc).
      const refusing: Pick<RelayerImpl, "newCCIPProvider"> = { newCCIPProvider: async () => Promise.reject(new Error("no")) };
      // @ts-expect-error a provider (here any value) is not a possible result
      const providing: Pick<RelayerImpl, "newCCIPProvider"> = { newCCIPProvider: async () => ({ services: [] }) };
      expect([typeof refusing.newCCIPProvider, typeof providing.newCCIPProvider]).toEqual(["function", "function"]);

      const provider = await s.relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
      expect([provider.hasContractReader, provider.hasCodec]).toEqual([true, false]);
      // The host's own calls on the TS provider.
      expect(await provider.offchainConfigDigester.configDigestPrefix()).toBe(99);
      const cfg = await provider.contractConfigTracker.latestConfig(14n);
      expect([cfg.configCount, cfg.f, cfg.transmitters, cfg.offchainConfigVersion]).toEqual([42n, 11, ["foo", "bar"], 2n]);
      expect(hex(await provider.offchainConfigDigester.configDigest(cfg))).toBe(hex(F.PROVIDER.configDigest));
      expect(await provider.contractConfigTracker.latestBlockHeight()).toBe(1337n);
      expect(await provider.contractTransmitter.fromAccount()).toBe("some-account");
      expect((await provider.contractTransmitter.latestConfigDigestAndEpoch()).epoch).toBe(88);
      const codec = new ReportCodecClient(provider.channel);
      expect(await codec.medianFromReport(F.REPORT)).toBe(-1042n);
      expect(await codec.maxReportLength(12)).toBe(101);
      await expect(codec.maxReportLength(13)).rejects.toMatchObject({ code: Code.UNKNOWN, details: "expected n 12 but got 13" });
      const contract = new MedianContractClient(provider.channel);
      expect((await contract.latestTransmissionDetails()).latestTimestamp).toEqual({ seconds: 1234567890n, nanos: 987654321 });
      await expect(contract.latestRoundRequested(1_000_000n)).rejects.toMatchObject({ details: "expected lookback 1m4s but got 1ms" });
      expect(await new OnchainConfigCodecClient(provider.channel).decode(F.bytesAt(6, { 5: 11 }))).toEqual({ min: -12n, max: 1234567890987654321n });
      const reader = new ContractReaderClient(provider.channel);
      expect(await reader.getLatestValue("0x24-anyContract-anyMethod", Confidence.Unconfirmed, { param1: "value1", param2: "value2" })).toEqual({
        ret1: "latestValue1",
        ret2: "latestValue2",
      });
      await expect(reader.getLatestValue("other", Confidence.Unconfirmed, {})).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT });
      const noCodec = await createClient(Codec, provider.channel).getDecoding({}).catch((e) => e);
      expect(noCodec).toBeInstanceOf(RpcError);
      expect(noCodec.code).toBe(Code.UNIMPLEMENTED);

      // The Go median plugin checks every provider service through the host's proxy.
      m = s.median(provider);
      const { plugin, info } = await m.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
      pids.push(s.relayer.client?.pid, m.client?.pid);
      expect(info).toEqual(F.REPORTING_PLUGIN_INFO);
      expect(s.savedErrors).toEqual([F.SAVED_ERROR]);
      expect(s.observed[0]).toEqual(F.OBSERVE_TIMESTAMP);
      const services = new Set(s.proxied.map(([p]) => p.split("/")[1]));
      for (const svc of ["loop.OffchainConfigDigester", "loop.ContractConfigTracker", "loop.ContractTransmitter", "loop.ContractReader", "loop.ReportCodec", "loop.MedianContract", "loop.OnchainConfigCodec"]) {
        expect(services).toContain(svc);
      }
      expect(s.proxied).toContainEqual(["/codec.Codec/GetDecoding", Code.UNIMPLEMENTED]);

      const ts = F.ROUND_TIMESTAMP;
      expect(hex(await plugin.query(ts))).toBe(hex(F.QUERY));
      const obs = await plugin.observation(ts, F.QUERY);
      expect(hex(obs)).toBe(hex(F.OBSERVATION));
      const report = await plugin.report(ts, F.QUERY, [{ observation: obs, observer: F.OBSERVER }]);
      expect(report.shouldReport).toBe(true);
      expect(hex(report.report)).toBe(hex(F.REPORT));
      expect(await plugin.shouldAcceptFinalizedReport(ts, report.report)).toBe(true);
      expect(await plugin.shouldTransmitAcceptedReport(ts, report.report)).toBe(true);

      await provider.service.ready();
      expect(await provider.service.healthReport()).toEqual({ "staticPluginRelayer.staticRelayer.staticMedianProvider": "" });
      await s.relayer.ready();
      // The host's own entry (as Go's PluginService adds it), then the plugin's report.
      expect(await s.relayer.healthReport()).toEqual({
        RelayerService: "",
        "staticPluginRelayer.staticRelayer": "",
        "staticPluginRelayer.staticRelayer.staticMedianProvider": "",
      });
    } finally {
      await m?.close();
      await s.relayer.close();
    }
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect(processesMatching(s.marker)).toEqual([]);
    // Both plugins' sockets and the host's brokered listeners lived here; all are gone.
    expect(readdirSync(s.socketDir)).toEqual([]);
    // The TS plugin's hclog JSON reached the host under its logger names.
    const started = s.logs.find((e) => e.message === "Started" && e.name?.endsWith("staticMedianProvider"));
    expect(started?.level).toBe("info");
    expect(started?.args).not.toHaveProperty("logger");
  });

  test("the host's in-memory capabilities registry, called by the TS relayer over the broker (every RPC)", async () => {
    const bytes32 = (b: number) => new Uint8Array(32).fill(b);
    const don = { id: 1, name: "workflow", members: [bytes32(1), bytes32(2)], f: 1, configVersion: 3, families: ["a"], config: Uint8Array.of(9) };
    const node = { peerId: bytes32(1), nodeOperatorId: 42, signer: bytes32(5), encryptionPublicKey: bytes32(6), workflowDon: don, capabilityDons: [don] };
    const registry = new InMemoryCapabilitiesRegistry()
      .setLocalNode(node)
      .setDONs("cap@1.0.0", [{ don, nodes: [node] }])
      .setConfig("cap@1.0.0", 1, { localOnly: true, restrictedKeys: ["k"], remoteConfig: { case: "remoteTargetConfig", value: {} } })
      .register({ id: "cap@1.0.0", kind: "executable", services: [loopServiceServer({ close() {}, ready() {}, healthReport: () => ({ "cap@1.0.0": "" }) })] });
    const s = setup({ capabilitiesRegistry: registry, extraEnv: { TS_RELAYER_REGISTRY: "cap@1.0.0" } });
    try {
      const seen = JSON.parse((await s.relayer.getChainStatus()).config);
      expect(seen).toEqual({
        localNode: { peerId: "01".repeat(32), operator: 42, signer: "05".repeat(32), workflowDon: "workflow", f: 1 },
        nodeByPeerId: 42,
        donsForCapability: [{ id: 1, members: 2, nodes: 1 }],
        configForCapability: { localOnly: true, restrictedKeys: ["k"], remote: "remoteTargetConfig" },
        get: { kind: "executable", health: { "cap@1.0.0": "" } },
        list: 1,
        add: "added",
        remove: "removed",
        getAfterRemove: { error: "capability not found with id cap@1.0.0" },
      });
      // The capability the relayer added is a live connection the host can call.
      expect(registry.added.map((c) => c.kind)).toEqual(["executable"]);
      expect(await new LoopServiceClient(registry.added[0].channel).healthReport()).toEqual({ tsRelayerCapability: "" });
    } finally {
      await s.relayer.close();
    }
    expect(processesMatching(s.marker)).toEqual([]);
    expect(readdirSync(s.socketDir)).toEqual([]);
  });

  test("NewRelayer's checks with Go's error texts: config, keystore accounts, CSA keystore accounts", async () => {
    const empty = { ...keystore, accounts: async () => [] };
    const cases: Array<[Partial<RelayerServiceConfig>, string]> = [
      [{ config: "[Foo]\n" }, `expected config ${JSON.stringify(F.RELAYER_CONFIG)} but got "[Foo]\\n"`],
      [{ keystore: empty }, "expected at least one key but got none"],
      [{ csaKeystore: empty }, "expected at least one CSA key but got none"],
    ];
    const pids: Array<number | undefined> = [];
    const markers: string[] = [];
    for (const [extra, want] of cases) {
      const s = setup(extra);
      markers.push(s.marker);
      try {
        const err = await s.relayer.getChainStatus().catch((e) => e);
        pids.push(s.relayer.client?.pid);
        expect(err).toBeInstanceOf(RpcError);
        expect([err.code, err.details]).toEqual([Code.UNKNOWN, want]);
      } finally {
        await s.relayer.close();
      }
    }
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    for (const m of markers) expect(processesMatching(m)).toEqual([]);
  });
});
