// A median LOOP plugin written in TypeScript: the counterpart of the median
// test plugin of chainlink-common v0.11.1 (`loop-test-plugin -cmd median`),
// run by a Go host (chainlink-common's loop.NewMedianService) instead of it.
//
// NewMedianFactory checks everything the host hands over — every provider
// service (against the Go test relayer's median provider fixture), the
// contract id, the three data sources — then saves "an error" in the error log.
// The factory and the reporting plugin check the OCR2 round values of the
// fixture. Any mismatch throws an Error naming the field, the expected and the
// received value; the host sees it as an UNKNOWN status with that text.
//
// Environment (for tests; the Go host passes no PATH or HOME, only these):
//   TS_MEDIAN_EXPECT_CONTRACT     contract id to expect instead of "0x42"
//   TS_MEDIAN_EXPECT_DATA_SOURCE  value the main data source must answer instead of 999
import "../../src/plugin.js"; // first: keeps stdout clean until the handshake

import { HclogLogger, serve, type GRPCPlugin } from "../../src/plugin.js";
import {
  Confidence,
  ContractReaderClient,
  LOOP_HANDSHAKES,
  loopServiceServer,
  MedianContractClient,
  OnchainConfigCodecClient,
  pluginMedianServer,
  ReportCodecClient,
  type AttributedObservation,
  type ContractConfig,
  type DataSourceClient,
  type LoopService,
  type MedianPluginImpl,
  type ProviderConnection,
  type ReportingPlugin,
  type ReportingPluginConfig,
  type ReportingPluginFactory,
  type ReportingPluginInfo,
  type ReportTimestamp,
} from "../../src/loop/index.js";
import type { LogLevel } from "../../src/goplugin/logger.js";
import * as F from "./fixtures.js";

// ---------------------------------------------------------------------------
// Fixture values beyond examples/loop/fixtures.ts: what the Go test relayer's
// median provider answers and expects.

const at = F.bytesAt;

const PROVIDER_CONTRACT_CONFIG: ContractConfig = {
  configDigest: F.PROVIDER.configDigest,
  configCount: 42n,
  signers: [at(16, { 15: 1 })],
  transmitters: ["foo", "bar"],
  f: 11,
  onchainConfig: at(32, { 2: 11, 14: 22, 31: 1 }),
  offchainConfigVersion: 2n,
  offchainConfig: at(13, { 1: 99, 12: 55 }),
};
const TRANSMIT = {
  context: {
    reportTimestamp: { configDigest: F.PROVIDER.configDigest, epoch: F.PROVIDER.epoch, round: 74 },
    extraHash: at(32, { 1: 3, 3: 5, 7: 11 }),
  },
  report: at(42, { 41: 131 }),
  signatures: [{ signature: at(10, { 9: 8, 7: 6 }), signer: 54 }],
};
const CODEC = {
  observations: [{ timestamp: 123, value: 31n, juelsPerFeeCoin: 54n, gasPriceSubunits: 77n, observer: 99 }],
  report: F.REPORT,
  median: -1042n,
  n: 12,
  maxReportLength: 101,
};
const MEDIAN_CONTRACT = {
  configDigest: at(32, { 1: 1, 11: 8 }),
  epoch: 7,
  round: 11,
  latestAnswer: 123n,
  latestTimestamp: { seconds: 1234567890n, nanos: 987654321 },
  lookbackNs: 64_000_000_000n,
};
const ONCHAIN_CONFIG = { min: -12n, max: 1234567890987654321n };
const ENCODED_ONCHAIN_CONFIG = at(6, { 5: 11 });
const CONTRACT_READER = {
  readIdentifier: "0x24-anyContract-anyMethod",
  params: { param1: "value1", param2: "value2" },
  latestValue: { ret1: "latestValue1", ret2: "latestValue2" },
};

const EXPECT = {
  contractId: process.env.TS_MEDIAN_EXPECT_CONTRACT ?? F.CONTRACT_ID,
  dataSource: process.env.TS_MEDIAN_EXPECT_DATA_SOURCE ? BigInt(process.env.TS_MEDIAN_EXPECT_DATA_SOURCE) : F.DATA_SOURCE_VALUE,
};

// ---------------------------------------------------------------------------
// Comparison helpers: each failure names the field, what was expected and what came.

/** Readable text of a value: hex for bytes, decimal for bigints, JSON otherwise. */
function show(v: unknown): string {
  // `this[k]` is the value before toJSON (a Buffer would otherwise arrive as {type, data}).
  return JSON.stringify(v, function (this: Record<string, unknown>, k, x) {
    const raw = k === "" ? v : this[k];
    if (typeof raw === "bigint") return `${raw}`;
    if (raw instanceof Uint8Array) return `0x${Buffer.from(raw).toString("hex")}`;
    if (raw instanceof Map) return Object.fromEntries(raw);
    return x;
  });
}

/** Structural equality over bytes, bigints, arrays, Maps and plain objects. */
function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (a instanceof Map) a = Object.fromEntries(a);
  if (b instanceof Map) b = Object.fromEntries(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

class Mismatch extends Error {
  constructor(
    readonly field: string,
    readonly expected: unknown,
    readonly got: unknown,
  ) {
    super(`${field}: expected ${show(expected)}, got ${show(got)}`);
  }
}

function expectEqual(field: string, expected: unknown, got: unknown): void {
  if (!same(expected, got)) throw new Mismatch(field, expected, got);
}

/** Runs one remote call; a failure of the call itself names the step. */
async function call<T>(step: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new Error(`${step}: ${(err as Error).message}`);
  }
}

/** Prefixes any failure of `f` with `context`. */
async function within<T>(context: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new Error(`${context}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------
// Logging: hclog JSON on stderr; sub-logger names go in a `logger` field, the
// way chainlink-common's zap-based plugins name theirs, so the Go host files
// each line under `<its plugin logger>.<name>`.

const base = new HclogLogger({ level: "debug" });

class Named {
  constructor(readonly name: string) {}
  named(child: string): Named {
    return new Named(`${this.name}.${child}`);
  }
  log(level: LogLevel, msg: string, args: Record<string, unknown> = {}): void {
    base.log(level, msg, { ...args, logger: this.name });
  }
  info(msg: string, args?: Record<string, unknown>) { this.log("info", msg, args); }
  debug(msg: string, args?: Record<string, unknown>) { this.log("debug", msg, args); }
  error(msg: string, args?: Record<string, unknown>) { this.log("error", msg, args); }
}

/** A service with nothing to run: its health is its own name, always healthy. */
class StaticService implements LoopService {
  constructor(protected readonly lggr: Named) {}
  ready(): void {
    this.lggr.info("Ready");
  }
  close(): void {
    this.lggr.info("Closed");
  }
  healthReport(): Record<string, string> {
    this.ready();
    return { [this.lggr.name]: "" };
  }
}

// ---------------------------------------------------------------------------
// The provider checks, service by service, in the Go fixture's order.

async function checkProvider(p: ProviderConnection): Promise<void> {
  await within("OffchainConfigDigester", async () => {
    const d = p.offchainConfigDigester;
    expectEqual("ConfigDigestPrefix", F.PROVIDER.configDigestPrefix, await call("ConfigDigestPrefix", () => d.configDigestPrefix()));
    expectEqual("ConfigDigest", F.PROVIDER.configDigest, await call("ConfigDigest", () => d.configDigest(PROVIDER_CONTRACT_CONFIG)));
  });
  await within("ContractConfigTracker", async () => {
    const t = p.contractConfigTracker;
    const details = await call("LatestConfigDetails", () => t.latestConfigDetails());
    expectEqual("LatestConfigDetails.changedInBlock", F.PROVIDER.changedInBlock, details.changedInBlock);
    expectEqual("LatestConfigDetails.configDigest", F.PROVIDER.configDigest, details.configDigest);
    expectEqual("LatestBlockHeight", F.PROVIDER.blockHeight, await call("LatestBlockHeight", () => t.latestBlockHeight()));
    const config = await call("LatestConfig", () => t.latestConfig(details.changedInBlock));
    expectEqual("LatestConfig", PROVIDER_CONTRACT_CONFIG, config);
  });
  await within("ContractTransmitter", async () => {
    const t = p.contractTransmitter;
    expectEqual("FromAccount", F.PROVIDER.account, await call("FromAccount", () => t.fromAccount()));
    const de = await call("LatestConfigDigestAndEpoch", () => t.latestConfigDigestAndEpoch());
    expectEqual("LatestConfigDigestAndEpoch.configDigest", F.PROVIDER.configDigest, de.configDigest);
    expectEqual("LatestConfigDigestAndEpoch.epoch", F.PROVIDER.epoch, de.epoch);
    await call("Transmit", () => t.transmit(TRANSMIT.context, TRANSMIT.report, TRANSMIT.signatures));
  });
  await within("ReportCodec", async () => {
    const c = new ReportCodecClient(p.channel);
    expectEqual("BuildReport", CODEC.report, await call("BuildReport", () => c.buildReport(CODEC.observations)));
    expectEqual("MedianFromReport", CODEC.median, await call("MedianFromReport", () => c.medianFromReport(CODEC.report)));
    expectEqual(`MaxReportLength(${CODEC.n})`, CODEC.maxReportLength, await call("MaxReportLength", () => c.maxReportLength(CODEC.n)));
  });
  await within("MedianContract", async () => {
    const c = new MedianContractClient(p.channel);
    const m = MEDIAN_CONTRACT;
    const req = await call("LatestRoundRequested", () => c.latestRoundRequested(m.lookbackNs));
    expectEqual("LatestRoundRequested", { configDigest: m.configDigest, epoch: m.epoch, round: m.round }, req);
    const det = await call("LatestTransmissionDetails", () => c.latestTransmissionDetails());
    expectEqual(
      "LatestTransmissionDetails",
      { configDigest: m.configDigest, epoch: m.epoch, round: m.round, latestAnswer: m.latestAnswer, latestTimestamp: m.latestTimestamp },
      det,
    );
  });
  await within("OnchainConfigCodec", async () => {
    const c = new OnchainConfigCodecClient(p.channel);
    expectEqual("Encode", ENCODED_ONCHAIN_CONFIG, await call("Encode", () => c.encode(ONCHAIN_CONFIG)));
    expectEqual("Decode", ONCHAIN_CONFIG, await call("Decode", () => c.decode(ENCODED_ONCHAIN_CONFIG)));
  });
  await within("ContractReader", async () => {
    // A Go median plugin finds out what the relayer serves by probing first.
    const served = await p.probe();
    if (!served.contractReader) throw new Error("the provider serves no ContractReader");
    const r = new ContractReaderClient(p.channel);
    const cr = CONTRACT_READER;
    const got = await call("GetLatestValue", () => r.getLatestValue(cr.readIdentifier, Confidence.Unconfirmed, cr.params));
    expectEqual(`GetLatestValue(${cr.readIdentifier})`, cr.latestValue, got);
  });
}

/** Observes `ds` with the fixture timestamp; returns the value for the caller's check. */
function observe(name: string, ds: DataSourceClient): Promise<bigint> {
  return call(`${name}.Observe`, () => ds.observe(F.OBSERVE_TIMESTAMP));
}

// ---------------------------------------------------------------------------
// The OCR2 round.

const ROUND = {
  timestamp: F.ROUND_TIMESTAMP,
  query: F.QUERY,
  observation: F.OBSERVATION,
  observations: [{ observation: F.OBSERVATION, observer: F.OBSERVER }] as AttributedObservation[],
  report: F.REPORT,
};

class TsReportingPlugin implements ReportingPlugin {
  constructor(private readonly lggr: Named) {}
  private checkTimestamp(method: string, ts: ReportTimestamp) {
    expectEqual(`${method}: reportTimestamp`, ROUND.timestamp, ts);
  }
  async query(ts: ReportTimestamp) {
    this.checkTimestamp("Query", ts);
    return ROUND.query;
  }
  async observation(ts: ReportTimestamp, query: Uint8Array) {
    this.checkTimestamp("Observation", ts);
    expectEqual("Observation: query", ROUND.query, query);
    return ROUND.observation;
  }
  async report(ts: ReportTimestamp, query: Uint8Array, observations: AttributedObservation[]) {
    this.checkTimestamp("Report", ts);
    expectEqual("Report: query", ROUND.query, query);
    expectEqual("Report: observations", ROUND.observations, observations);
    return { shouldReport: true, report: ROUND.report };
  }
  async shouldAcceptFinalizedReport(ts: ReportTimestamp, report: Uint8Array) {
    this.checkTimestamp("ShouldAcceptFinalizedReport", ts);
    expectEqual("ShouldAcceptFinalizedReport: report", ROUND.report, report);
    return true;
  }
  async shouldTransmitAcceptedReport(ts: ReportTimestamp, report: Uint8Array) {
    this.checkTimestamp("ShouldTransmitAcceptedReport", ts);
    expectEqual("ShouldTransmitAcceptedReport: report", ROUND.report, report);
    return true;
  }
  async close() {
    this.lggr.debug("ReportingPlugin closed");
  }
}

class TsReportingPluginFactory extends StaticService implements ReportingPluginFactory {
  async newReportingPlugin(config: ReportingPluginConfig): Promise<{ plugin: ReportingPlugin; info: ReportingPluginInfo }> {
    const want = F.REPORTING_PLUGIN_CONFIG;
    for (const key of Object.keys(want) as Array<keyof ReportingPluginConfig>) {
      expectEqual(`NewReportingPlugin: ${key}`, want[key], config[key]);
    }
    this.lggr.info("NewReportingPlugin", { oracleId: config.oracleId, n: config.n, f: config.f });
    return { plugin: new TsReportingPlugin(this.lggr), info: F.REPORTING_PLUGIN_INFO };
  }
}

class TsMedianFactoryServer extends StaticService implements MedianPluginImpl {
  private readonly factory: TsReportingPluginFactory;
  constructor(lggr: Named) {
    super(lggr);
    this.factory = new TsReportingPluginFactory(lggr.named("tsReportingPluginFactory"));
  }

  override healthReport(): Record<string, string> {
    return { ...super.healthReport(), ...this.factory.healthReport() };
  }

  async newMedianFactory(args: Parameters<MedianPluginImpl["newMedianFactory"]>[0]): Promise<ReportingPluginFactory & LoopService> {
    try {
      await within("NewMedianFactory", async () => {
        await within("provider", () => checkProvider(args.provider));
        expectEqual("contractId", EXPECT.contractId, args.contractId);
        expectEqual("dataSource", EXPECT.dataSource, await observe("dataSource", args.dataSource));
        expectEqual("juelsPerFeeCoinDataSource", F.JUELS_PER_FEE_COIN, await observe("juelsPerFeeCoinDataSource", args.juelsPerFeeCoin));
        const gas = await observe("gasPriceSubunitsDataSource", args.gasPriceSubunits);
        // As in the Go fixture, a zero gas price (a no-op source) passes too.
        if (gas !== 0n) expectEqual("gasPriceSubunitsDataSource", F.GAS_PRICE_SUBUNITS, gas);
        await call("ErrorLog.SaveError", () => args.errorLog.saveError(F.SAVED_ERROR));
      });
    } catch (err) {
      this.lggr.error("NewMedianFactory failed", { error: (err as Error).message });
      throw err;
    }
    this.lggr.info("NewMedianFactory: every value checked", { contractId: args.contractId });
    return this.factory;
  }
}

const impl = new TsMedianFactoryServer(new Named("tsMedianFactoryServer"));
const median: GRPCPlugin = {
  // loop.Service on the main connection as well, as Go registers it for every LOOP plugin.
  grpcServer: ({ broker }) => [loopServiceServer(impl), pluginMedianServer(impl, broker)],
};

await serve({ handshakeConfig: LOOP_HANDSHAKES.median, plugins: { median }, logger: base });
