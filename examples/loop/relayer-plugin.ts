// A relayer LOOP plugin written in TypeScript. It behaves like the static
// relayer of chainlink-common v0.11.1's test plugin (`-cmd relayer
// -static-checks`): the same answers, the same input checks and, where a check
// fails, the same error texts. Its only provider is the static median provider,
// which a Go median plugin checks in full when NewMedianFactory runs.
//
// Run by a LOOP host (Go's loop.NewRelayerService or src/loop's RelayerService),
// never by hand. TS_RELAYER_FAULT=<name> makes one answer wrong, for tests that
// the other side notices: digest-prefix, latest-value, median-from-report.
import "../../src/plugin.js";
import type * as grpc from "@grpc/grpc-js";
import { Code, HclogLogger, RpcError, serve, type LogLevel, type ServiceRegistration } from "../../src/index.js";
import {
  LOOP_HANDSHAKES,
  Confidence,
  contractConfigTrackerServer,
  contractReaderServer,
  contractTransmitterServer,
  formatGoDuration,
  loopServiceServer,
  medianContractServer,
  offchainConfigDigesterServer,
  onchainConfigCodecServer,
  pluginRelayerServer,
  reportCodecServer,
  type AttributedOnchainSignature,
  type ContractConfig,
  type ContractReader,
  type KeystoreClient,
  type LoopService,
  type ParsedAttributedObservation,
  type PluginArgs,
  type RelayArgs,
  type RelayerImpl,
  type ReportContext,
} from "../../src/loop/index.js";
import { bytesAt, equalBytes, PLUGIN_ARGS, PROVIDER, RELAY_ARGS, RELAYER_CONFIG, REPORT } from "./fixtures.js";

const FAULT = process.env.TS_RELAYER_FAULT ?? "";
const logger = new HclogLogger();

/** Logs as a LOOP plugin does: the logger name in a `logger` field, which hosts file the record under. */
function named(name: string) {
  return (level: LogLevel, msg: string, args: Record<string, unknown> = {}) => logger.log(level, msg, { logger: name, ...args });
}

/** Go's test services: Start/Ready/Close log, the health report names only this service. */
function staticService(name: string, children: () => Record<string, string> = () => ({})): LoopService {
  const log = named(name);
  return {
    ready: () => log("info", "Ready"),
    close: () => log("info", "Closed"),
    healthReport: () => ({ [name]: "", ...children() }),
  };
}

// ---------------------------------------------------------------------------
// The fixture values (chainlink-common's relayer, ocr2 and median provider tests)

const CHAIN_STATUS = { id: "some_chain", enabled: true, config: "" };
const CHAIN_INFO = { familyName: "someFamily", chainId: "123", networkName: "someNetwork", networkNameFull: "someNetwork-test" };
const NODES = [
  { chainId: "foo", name: "", state: "Alive", config: "Name = 'bar'\nURL = 'http://example.com'\n" },
  { chainId: "foo", name: "", state: "Alive", config: "Name = 'baz'\nURL = 'https://test.url'\n" },
];
const NODE_PAGE_SIZE = 137;
const TRANSACTION = { from: "me", to: "you", amount: 97n, balanceCheck: true };

const CONTRACT_CONFIG: ContractConfig = {
  configDigest: PROVIDER.configDigest,
  configCount: 42n,
  signers: [bytesAt(16, { 15: 1 })],
  transmitters: ["foo", "bar"],
  f: 11,
  onchainConfig: bytesAt(32, { 2: 11, 14: 22, 31: 1 }),
  offchainConfigVersion: 2n,
  offchainConfig: bytesAt(13, { 1: 99, 12: 55 }),
};
const TRANSMIT_CONTEXT: ReportContext = {
  reportTimestamp: { configDigest: PROVIDER.configDigest, epoch: PROVIDER.epoch, round: 74 },
  extraHash: bytesAt(32, { 1: 3, 3: 5, 7: 11 }),
};
const TRANSMIT_REPORT = bytesAt(42, { 41: 131 });
const TRANSMIT_SIGS: AttributedOnchainSignature[] = [{ signature: bytesAt(10, { 9: 8, 7: 6 }), signer: 54 }];

const OBSERVATIONS: ParsedAttributedObservation[] = [{ timestamp: 123, value: 31n, juelsPerFeeCoin: 54n, gasPriceSubunits: 77n, observer: 99 }];
const MEDIAN = -1042n;
const MAX_REPORT_N = 12;
const MAX_REPORT_LENGTH = 101;

const MEDIAN_CONTRACT = {
  configDigest: bytesAt(32, { 1: 1, 11: 8 }),
  epoch: 7,
  round: 11,
  latestAnswer: 123n,
  latestTimestamp: { seconds: 1234567890n, nanos: 987654321 },
};
const LOOKBACK_NS = 64_000_000_000n; // 1m4s

const ONCHAIN_CONFIG = { min: -12n, max: 1234567890987654321n };
const ONCHAIN_CONFIG_ENCODED = bytesAt(6, { 5: 11 });

const READ_IDENTIFIER = "0x24-anyContract-anyMethod";
const READ_PARAMS = { param1: "value1", param2: "value2" };
const READ_RESULT = { ret1: "latestValue1", ret2: "latestValue2" };

// ---------------------------------------------------------------------------
// Helpers for Go-like error texts

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** Go's %v of a byte slice: `[0 7 0 …]`. */
const goBytes = (b: Uint8Array) => `[${[...b].join(" ")}]`;
/** Go's %v of a map[string]any of strings: keys sorted, `map[k:v …]`. */
const goMap = (m: Record<string, unknown>) =>
  `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${String(m[k])}`)
    .join(" ")}]`;
const sameSigs = (a: AttributedOnchainSignature[], b: AttributedOnchainSignature[]) =>
  a.length === b.length && a.every((s, i) => s.signer === b[i].signer && equalBytes(s.signature, b[i].signature));
const sameConfig = (a: ContractConfig, b: ContractConfig) =>
  equalBytes(a.configDigest, b.configDigest) &&
  a.configCount === b.configCount &&
  a.signers.length === b.signers.length &&
  a.signers.every((s, i) => equalBytes(s, b.signers[i])) &&
  a.transmitters.join("\0") === b.transmitters.join("\0") &&
  a.transmitters.length === b.transmitters.length &&
  a.f === b.f &&
  equalBytes(a.onchainConfig, b.onchainConfig) &&
  a.offchainConfigVersion === b.offchainConfigVersion &&
  equalBytes(a.offchainConfig, b.offchainConfig);
const showConfig = (c: ContractConfig) =>
  `{${hex(c.configDigest)} ${c.configCount} [${c.signers.map(goBytes).join(" ")}] [${c.transmitters.join(" ")}] ${c.f} ${goBytes(c.onchainConfig)} ${c.offchainConfigVersion} ${goBytes(c.offchainConfig)}}`;
const sameContext = (a: ReportContext, b: ReportContext) =>
  equalBytes(a.reportTimestamp.configDigest, b.reportTimestamp.configDigest) &&
  a.reportTimestamp.epoch === b.reportTimestamp.epoch &&
  a.reportTimestamp.round === b.reportTimestamp.round &&
  equalBytes(a.extraHash, b.extraHash);
const showContext = (c: ReportContext) =>
  `{{${hex(c.reportTimestamp.configDigest)} ${c.reportTimestamp.epoch} ${c.reportTimestamp.round}} ${goBytes(c.extraHash)}}`;
const showObservations = (os: ParsedAttributedObservation[]) =>
  `[${os.map((o) => `{${o.timestamp} ${o.value} ${o.juelsPerFeeCoin} ${o.gasPriceSubunits} ${o.observer}}`).join(" ")}]`;
const showRelayArgs = (r: RelayArgs) => `{${r.externalJobId} ${r.jobId} ${r.contractId} ${r.new} ${goBytes(r.relayConfig)} ${r.providerType}}`;
const showPluginArgs = (p: PluginArgs) => `{${p.transmitterId} ${goBytes(p.pluginConfig)}}`;

/** What Go's types.InvalidArgumentError becomes on the wire. */
const invalidArgument = (kind: "invalid type" | "invalid encoding", msg: string) => new RpcError(Code.INVALID_ARGUMENT, `${kind}: ${msg}`);

// ---------------------------------------------------------------------------
// The median provider

const PROVIDER_NAME = "staticPluginRelayer.staticRelayer.staticMedianProvider";

const contractReader: Partial<ContractReader> = {
  getLatestValue(readIdentifier: string, _confidence: Confidence, params: unknown) {
    if (readIdentifier !== READ_IDENTIFIER) {
      throw invalidArgument("invalid type", `expected report context ${READ_IDENTIFIER} but got ${readIdentifier}`);
    }
    const got = params instanceof Map ? Object.fromEntries(params) : (params as Record<string, unknown> | null);
    if (typeof got !== "object" || got === null || Array.isArray(got)) {
      throw invalidArgument("invalid encoding", `Invalid parameter type received in GetLatestValue. Expected map[string]interface {} but received ${params === null ? "<nil>" : typeof params}`);
    }
    if (got.param1 !== READ_PARAMS.param1 || got.param2 !== READ_PARAMS.param2) {
      throw invalidArgument("invalid encoding", `Wrong params value received in GetLatestValue. Expected ${goMap(READ_PARAMS)} but received ${goMap(got)}`);
    }
    return FAULT === "latest-value" ? { ...READ_RESULT, ret2: "wrongValue2" } : READ_RESULT;
  },
  bind: () => {},
  unbind: () => {},
  batchGetLatestValues: () => ({}),
  queryKey: () => ({}),
};

function medianProviderServices(): ServiceRegistration[] {
  return [
    loopServiceServer(staticService(PROVIDER_NAME)),
    offchainConfigDigesterServer({
      async configDigest(config) {
        if (!sameConfig(config, CONTRACT_CONFIG)) {
          throw new Error(`expected contract config ${hex(PROVIDER.configDigest)} but got ${showConfig(config)}`);
        }
        return PROVIDER.configDigest;
      },
      configDigestPrefix: async () => (FAULT === "digest-prefix" ? PROVIDER.configDigestPrefix - 1 : PROVIDER.configDigestPrefix),
    }),
    contractConfigTrackerServer({
      latestConfigDetails: async () => ({ changedInBlock: PROVIDER.changedInBlock, configDigest: PROVIDER.configDigest }),
      async latestConfig(changedInBlock) {
        if (changedInBlock !== PROVIDER.changedInBlock) throw new Error(`expected changed in block ${PROVIDER.changedInBlock} but got ${changedInBlock}`);
        return CONTRACT_CONFIG;
      },
      latestBlockHeight: async () => PROVIDER.blockHeight,
    }),
    contractTransmitterServer({
      async transmit(ctx, report, sigs) {
        if (!sameContext(ctx, TRANSMIT_CONTEXT)) throw new Error(`expected report context ${showContext(TRANSMIT_CONTEXT)} but got ${showContext(ctx)}`);
        if (!equalBytes(report, TRANSMIT_REPORT)) throw new Error(`expected report ${hex(TRANSMIT_REPORT)} but got ${hex(report)}`);
        if (!sameSigs(sigs, TRANSMIT_SIGS)) {
          const show = (ss: AttributedOnchainSignature[]) => `[${ss.map((s) => `{${goBytes(s.signature)} ${s.signer}}`).join(" ")}]`;
          throw new Error(`expected signatures ${show(TRANSMIT_SIGS)} but got ${show(sigs)}`);
        }
      },
      latestConfigDigestAndEpoch: async () => ({ configDigest: PROVIDER.configDigest, epoch: PROVIDER.epoch }),
      fromAccount: async () => PROVIDER.account,
    }),
    contractReaderServer(contractReader),
    reportCodecServer({
      buildReport(observations) {
        const same =
          observations.length === OBSERVATIONS.length &&
          observations.every((o, i) => {
            const w = OBSERVATIONS[i];
            return o.timestamp === w.timestamp && o.value === w.value && o.juelsPerFeeCoin === w.juelsPerFeeCoin && o.gasPriceSubunits === w.gasPriceSubunits && o.observer === w.observer;
          });
        if (!same) throw new Error(`expected observations ${showObservations(OBSERVATIONS)} but got ${showObservations(observations)}`);
        return REPORT;
      },
      medianFromReport(report) {
        if (!equalBytes(report, REPORT)) throw new Error(`expected report ${hex(REPORT)} but got ${hex(report)}`);
        return FAULT === "median-from-report" ? MEDIAN + 1n : MEDIAN;
      },
      maxReportLength(n) {
        if (n !== MAX_REPORT_N) throw new Error(`expected n ${MAX_REPORT_N} but got ${n}`);
        return MAX_REPORT_LENGTH;
      },
    }),
    medianContractServer({
      latestTransmissionDetails: () => MEDIAN_CONTRACT,
      latestRoundRequested(lookbackNs) {
        if (lookbackNs !== LOOKBACK_NS) throw new Error(`expected lookback ${formatGoDuration(LOOKBACK_NS)} but got ${formatGoDuration(lookbackNs)}`);
        return { configDigest: MEDIAN_CONTRACT.configDigest, epoch: MEDIAN_CONTRACT.epoch, round: MEDIAN_CONTRACT.round };
      },
    }),
    onchainConfigCodecServer({
      encode(c) {
        if (c.max !== ONCHAIN_CONFIG.max) throw new Error(`expected max ${ONCHAIN_CONFIG.max} but got ${c.max}`);
        if (c.min !== ONCHAIN_CONFIG.min) throw new Error(`expected min ${ONCHAIN_CONFIG.min} but got ${c.min}`);
        return ONCHAIN_CONFIG_ENCODED;
      },
      decode(b) {
        if (!equalBytes(b, ONCHAIN_CONFIG_ENCODED)) throw new Error(`expected encoded ${hex(ONCHAIN_CONFIG_ENCODED)} but got ${hex(b)}`);
        return ONCHAIN_CONFIG;
      },
    }),
    // No codec.Codec: like the Go fixture, whose median provider has none, so
    // a Go provider client's probe gets UNIMPLEMENTED and drops it.
  ];
}

// ---------------------------------------------------------------------------
// The relayer

const RELAYER_NAME = "staticPluginRelayer.staticRelayer";

function sameRelayArgs(a: RelayArgs, b: RelayArgs) {
  // As in Go, the provider type is not compared (it selected the provider already).
  return a.externalJobId === b.externalJobId && a.jobId === b.jobId && a.contractId === b.contractId && a.new === b.new && equalBytes(a.relayConfig, b.relayConfig);
}

const relayer: RelayerImpl = {
  ...staticService(RELAYER_NAME, () => ({ [PROVIDER_NAME]: "" })),
  getChainStatus: async () => CHAIN_STATUS,
  getChainInfo: async () => CHAIN_INFO,
  async listNodeStatuses(pageSize, pageToken) {
    if (pageSize !== NODE_PAGE_SIZE) throw new Error(`expected page_size ${NODE_PAGE_SIZE} but got ${pageSize}`);
    if (pageToken !== "") throw new Error(`expected empty page_token but got ${JSON.stringify(pageToken)}`);
    return { nodes: NODES, total: NODES.length, nextPageToken: "" };
  },
  async transact(from, to, amount, balanceCheck) {
    if (from !== TRANSACTION.from) throw new Error(`expected from ${TRANSACTION.from} but got ${from}`);
    if (to !== TRANSACTION.to) throw new Error(`expected to ${TRANSACTION.to} but got ${to}`);
    if (amount !== TRANSACTION.amount) throw new Error(`expected amount ${TRANSACTION.amount} but got ${amount}`);
    if (balanceCheck !== TRANSACTION.balanceCheck) throw new Error(`expected balance check ${TRANSACTION.balanceCheck} but got ${balanceCheck}`);
  },
  async replay(fromBlock) {
    if (fromBlock !== "") throw new Error(`expected from  but got ${fromBlock}`);
  },
  latestHead: async () => {
    throw new Error("not implemented");
  },
  finalizedHead: async () => {
    throw new Error("not implemented");
  },
  async newPluginProvider(relay, plugin) {
    if (relay.providerType !== "median") throw new Error(`provider type not supported: ${relay.providerType}`);
    if (!sameRelayArgs(relay, RELAY_ARGS)) throw new Error(`expected relay args:\n\t${showRelayArgs(RELAY_ARGS)}\nbut got:\n\t${showRelayArgs(relay)}`);
    if (plugin.transmitterId !== PLUGIN_ARGS.transmitterId || !equalBytes(plugin.pluginConfig, PLUGIN_ARGS.pluginConfig)) {
      throw new Error(`expected plugin args ${showPluginArgs(PLUGIN_ARGS)} but got ${showPluginArgs(plugin)}`);
    }
    named(PROVIDER_NAME)("info", "Started");
    return medianProviderServices();
  },
};

// ---------------------------------------------------------------------------
// The plugin relayer (the plugin's main connection)

const PLUGIN_RELAYER_NAME = "staticPluginRelayer";
const pluginRelayer = staticService(PLUGIN_RELAYER_NAME, () => relayer.healthReport() as Record<string, string>);

async function newRelayer(config: string, keystore: KeystoreClient, csaKeystore: KeystoreClient, _capabilityRegistry: grpc.Client): Promise<RelayerImpl> {
  if (config !== RELAYER_CONFIG) throw new Error(`expected config ${JSON.stringify(RELAYER_CONFIG)} but got ${JSON.stringify(config)}`);
  if ((await keystore.accounts()).length === 0) throw new Error("expected at least one key but got none");
  if ((await csaKeystore.accounts()).length === 0) throw new Error("expected at least one CSA key but got none");
  named(RELAYER_NAME)("info", "Started");
  return relayer;
}

named(PLUGIN_RELAYER_NAME)("debug", "serving", FAULT ? { fault: FAULT } : {});
await serve({
  handshakeConfig: LOOP_HANDSHAKES.relayer,
  plugins: { relayer: { grpcServer: ({ broker }) => [loopServiceServer(pluginRelayer), pluginRelayerServer({ newRelayer }, broker)] } },
  logger,
});
