// The values chainlink-common's Go test plugins (pkg/loop/internal/test, v0.11.1)
// send and expect. The Go side checks what it receives; the host checks what
// comes back.
import { Duration, type PluginArgs, type RelayArgs, type ReportingPluginConfig, type ReportTimestamp } from "../../src/loop/index.js";

/** N+1 bytes, zero except the listed positions (Go's `[]byte{N: V}` literals). */
export function bytesAt(len: number, at: Record<number, number>): Uint8Array {
  const b = new Uint8Array(len);
  for (const [i, v] of Object.entries(at)) b[Number(i)] = v;
  return b;
}

export const RELAYER_CONFIG = '[Foo]\nBar = "Baz"\n';
export const ACCOUNT = "testaccount";

export const RELAY_ARGS: RelayArgs = {
  externalJobId: "1051429b-aa66-11ed-b0d2-5cff35dfbe67",
  jobId: 123,
  contractId: "testcontract",
  new: true,
  relayConfig: bytesAt(43, { 42: 11 }),
  providerType: "median",
};
export const PLUGIN_ARGS: PluginArgs = { transmitterId: "testtransmitter", pluginConfig: bytesAt(101, { 100: 88 }) };

export const CONTRACT_ID = "0x42";
/** What the median fixture's data sources must answer, for this timestamp. */
export const OBSERVE_TIMESTAMP: ReportTimestamp = { configDigest: bytesAt(32, { 1: 7, 31: 3 }), epoch: 79, round: 17 };
export const DATA_SOURCE_VALUE = 999n;
export const JUELS_PER_FEE_COIN = 1234n;
export const GAS_PRICE_SUBUNITS = 777n;
export const SAVED_ERROR = "an error";

export const REPORTING_PLUGIN_CONFIG: ReportingPluginConfig = {
  configDigest: new Uint8Array(32),
  oracleId: 10,
  n: 12,
  f: 42,
  onchainConfig: bytesAt(18, { 17: 11 }),
  offchainConfig: bytesAt(33, { 32: 64 }),
  estimatedRoundIntervalNs: Duration.seconds(1),
  maxDurationQueryNs: Duration.hours(1),
  maxDurationObservationNs: Duration.ms(1),
  maxDurationReportNs: Duration.us(1),
  maxDurationShouldAcceptFinalizedReportNs: Duration.seconds(10),
  maxDurationShouldTransmitAcceptedReportNs: Duration.minutes(1),
};
export const REPORTING_PLUGIN_INFO = { name: "test", uniqueReports: true, limits: { maxQueryLength: 42n, maxObservationLength: 13n, maxReportLength: 17n } };

export const ROUND_TIMESTAMP: ReportTimestamp = { configDigest: bytesAt(32, { 2: 10, 12: 16 }), epoch: 88, round: 74 };
export const QUERY = bytesAt(43, { 42: 42 });
export const OBSERVATION = bytesAt(22, { 21: 19 });
export const OBSERVER = 99;
export const REPORT = bytesAt(43, { 42: 101 });

/** The provider fixture the Go test relayer serves. */
export const PROVIDER = {
  configDigestPrefix: 99,
  configDigest: bytesAt(32, { 1: 7, 13: 11, 31: 23 }),
  changedInBlock: 14n,
  blockHeight: 1337n,
  account: "some-account",
  epoch: 88,
};

export const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export type ReportTimestampLike = ReportTimestamp;

/** The keystore the Go test relayer expects: one account; Sign and Decrypt answer the fixture bytes. */
export const KEYSTORE = {
  accounts: async () => [ACCOUNT],
  sign: async () => bytesAt(14, { 13: 37 }),
  decrypt: async () => bytesAt(18, { 17: 41 }),
};
