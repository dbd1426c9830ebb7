// `npm run demo`: a TypeScript host plays Chainlink core's part and drives the
// real Go relayer and median LOOP plugins (chainlink-common v0.11.1's test
// plugin) through one OCR2 median round. Exits non-zero on any mismatch.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { MedianService, RelayerService, type LoopEvent } from "../../src/loop/index.js";
import type { LogEntry, Logger } from "../../src/index.js";
import * as F from "./fixtures.js";

const BIN = join(fileURLToPath(import.meta.url), "..", "..", "..", "interop", ".bin", "loop-test-plugin");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const short = (b: Uint8Array) => {
  const nz = [...b].map((v, i) => [i, v] as const).filter(([, v]) => v !== 0);
  return `${b.length} bytes${nz.length ? ` {${nz.map(([i, v]) => `${i}:${v}`).join(",")}}` : " (zero)"}`;
};

let failures = 0;
const t0 = performance.now();
const at = () => `${(performance.now() - t0).toFixed(0).padStart(5)} ms`;
function check(what: string, ok: boolean, got: string) {
  if (!ok) failures++;
  console.log(`${at()}  ${ok ? "✓" : "✗"} ${what}: ${got}`);
}
function onEvent(e: LoopEvent) {
  const arrow = { launch: "▶", serve: "⇠ host serves", dial: "⇢ host dials", rpc: "→", close: "■", down: "✗ down:", relaunch: "↻ launching", up: "● up:" }[e.kind];
  const where = e.id === undefined || e.kind === "rpc" ? "" : e.kind === "serve" || e.kind === "dial" ? ` on broker id ${e.id}` : ` generation ${e.id}`;
  if (e.kind === "relaunch" && e.ms === 0 && e.id === 1) return; // the first launch is the "▶" line
  if (e.kind === "relaunch") return console.log(`${at()}  ↻ relaunching ${e.name}${where} after ${e.ms} ms`);
  if (e.kind === "down") e = { ...e, detail: e.detail?.split("; last stderr")[0] };
  console.log(`${at()}  ${arrow} ${e.name}${where}${e.detail ? `  ${e.detail}` : ""}${e.ms !== undefined ? `  (${e.ms.toFixed(1)} ms)` : ""}`);
}
const pluginLogs: LogEntry[] = [];
const logger: Logger = { log: (e) => pluginLogs.push(e) };

const keystore = F.KEYSTORE;
const savedErrors: string[] = [];
const observed: string[] = [];
const proxied = new Map<string, number>();
const source = (name: string, value: bigint) => ({
  observe: async (ts: F.ReportTimestampLike) => {
    observed.push(`${name}(epoch ${ts.epoch}, round ${ts.round}) = ${value}`);
    return value;
  },
});

console.log("LOOP median round: TypeScript host ↔ Go relayer + Go median plugins (chainlink-common v0.11.1)\n");
const relayer = new RelayerService({
  cmd: { command: BIN, args: ["-cmd", "relayer", "-static-checks"] },
  config: F.RELAYER_CONFIG,
  keystore,
  csaKeystore: keystore,
  logger,
  onEvent,
});
let median: MedianService | undefined;
try {
  await relayer.start();
  const status = await relayer.getChainStatus();
  check("Relayer.GetChainStatus", status.id === "some_chain" && status.enabled, JSON.stringify(status));
  const nodes = await relayer.listNodeStatuses(137);
  check("Relayer.ListNodeStatuses(page size 137)", nodes.total === 2, `${nodes.total} nodes, state ${nodes.nodes.map((n) => n.state).join("/")}`);

  const provider = await relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
  check("provider probe", provider.hasContractReader === true && provider.hasCodec === false, `ContractReader ${provider.hasContractReader ? "served" : "absent"}, Codec ${provider.hasCodec ? "served" : "UNIMPLEMENTED"}`);
  const prefix = await provider.offchainConfigDigester.configDigestPrefix();
  check("host → provider OffchainConfigDigester.ConfigDigestPrefix", prefix === F.PROVIDER.configDigestPrefix, String(prefix));
  const details = await provider.contractConfigTracker.latestConfigDetails();
  check("host → provider ContractConfigTracker.LatestConfigDetails", details.changedInBlock === F.PROVIDER.changedInBlock && F.equalBytes(details.configDigest, F.PROVIDER.configDigest), `block ${details.changedInBlock}, digest ${short(details.configDigest)}`);
  const account = await provider.contractTransmitter.fromAccount();
  check("host → provider ContractTransmitter.FromAccount", account === F.PROVIDER.account, account);

  median = new MedianService({
    cmd: { command: BIN, args: ["-cmd", "median"] },
    provider,
    contractId: F.CONTRACT_ID,
    dataSource: source("DataSource", F.DATA_SOURCE_VALUE),
    juelsPerFeeCoin: source("JuelsPerFeeCoin", F.JUELS_PER_FEE_COIN),
    gasPriceSubunits: source("GasPriceSubunits", F.GAS_PRICE_SUBUNITS),
    errorLog: { saveError: async (m) => void savedErrors.push(m) },
    onProxiedCall: (path) => proxied.set(path, (proxied.get(path) ?? 0) + 1),
    logger,
    onEvent,
  });
  await median.start();
  const { plugin, info } = await median.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
  check("median plugin validated every host-served value", observed.length === 3, observed.join("; "));
  check("ErrorLog.SaveError reached the host", savedErrors.join() === F.SAVED_ERROR, JSON.stringify(savedErrors));
  check(
    "provider calls relayed by the host's proxy",
    proxied.size > 0,
    [...proxied].map(([p, n]) => `${p.split("/").slice(1).join("/")}×${n}`).join(", "),
  );
  check("ReportingPluginInfo", info.name === F.REPORTING_PLUGIN_INFO.name && info.uniqueReports && info.limits.maxQueryLength === 42n, `${info.name}, unique ${info.uniqueReports}, limits ${info.limits.maxQueryLength}/${info.limits.maxObservationLength}/${info.limits.maxReportLength}`);

  const ts = F.ROUND_TIMESTAMP;
  console.log(`${at()}  round: epoch ${ts.epoch}, round ${ts.round}, digest ${short(ts.configDigest)}`);
  const query = await plugin.query(ts);
  check("Query", F.equalBytes(query, F.QUERY), short(query));
  const observation = await plugin.observation(ts, query);
  check("Observation", F.equalBytes(observation, F.OBSERVATION), short(observation));
  const report = await plugin.report(ts, query, [{ observation, observer: F.OBSERVER }]);
  check("Report", report.shouldReport && F.equalBytes(report.report, F.REPORT), `shouldReport ${report.shouldReport}, ${short(report.report)}`);
  const accept = await plugin.shouldAcceptFinalizedReport(ts, report.report);
  check("ShouldAcceptFinalizedReport", accept, String(accept));
  const transmit = await plugin.shouldTransmitAcceptedReport(ts, report.report);
  check("ShouldTransmitAcceptedReport", transmit, String(transmit));
  console.log(`\nreport bytes: ${hex(report.report)}\naccept: ${accept}, transmit: ${transmit}`);
  await plugin.close();

  // A crash: the relayer is SIGKILLed; the host relaunches it, serves its keystores again, re-runs NewRelayer.
  console.log(`\n${at()}  ☠ SIGKILL relayer plugin (pid ${relayer.client?.pid})`);
  process.kill(relayer.client!.pid!, "SIGKILL");
  const again = await relayer.getChainStatus({ deadline: 10_000 });
  check("Relayer.GetChainStatus after the crash", again.id === "some_chain" && relayer.plugin.generation === 2, `${JSON.stringify(again)} from generation ${relayer.plugin.generation}`);
} catch (err) {
  failures++;
  console.error(`${at()}  ✗ ${(err as Error).message}`);
} finally {
  await median?.close();
  await relayer.close();
}
const named = new Set(pluginLogs.map((e) => e.name).filter((n) => n?.includes(".")));
console.log(`\nGo plugin logs received through the host logger: ${pluginLogs.length} records, e.g. ${[...named].slice(0, 3).join(", ")}`);
console.log(failures ? `\n${failures} check(s) FAILED` : `\nall checks passed in ${(performance.now() - t0).toFixed(0)} ms`);
process.exit(failures ? 1 : 0);
