// TypeScript counterpart of interop/.bin/loop-host's `-bench N` run: one OCR2
// median round with the library's RelayerService and MedianService against
// chainlink-common v0.11.1's Go test plugin (as relayer and as median), then
// per-call latencies. Bundled to bench/.build/loop-ts-host.mjs by bench/lib.ts
// and run in its own node process; every figure is measured inside the
// process, so node's own start does not count. Prints one JSON line.
//
//   node bench/.build/loop-ts-host.mjs -bench 500 [-plugin PATH]
//
// Figures (same definitions as the Go host):
//   start_to_first_report_ms  before relayer.start() → first report() returned.
//                             In between, like the Go host: NewRelayer,
//                             NewPluginProvider (with its probes), provider
//                             Ready and the host's own provider checks,
//                             median start, NewMedianFactory,
//                             NewReportingPlugin, Query, Observation, Report.
//   observation_*_us          N ReportingPlugin.Observation calls (host → median plugin)
//   digest_prefix_*_us        N OffchainConfigDigester.ConfigDigestPrefix calls,
//                             host → relayer's provider, direct
//   proxied_prefix_*_us       the same call through one transparent proxy hop
//                             (registerProxy on a server of the selected engine on a unix
//                             socket, the hop the median plugin's provider calls
//                             take). TS only: the Go host has no such figure.
// p50 / mean / p99 as the Go host computes them: sorted samples, index
// ceil(q·n)−1, rounded to 0.1 µs; no warm-up calls, except one untimed call to
// open the proxy channel.
import type { Channel } from "../src/index.js";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bindServer, createClient, defaultEngine, dialChannel, type Server } from "../src/index.js";
import { createServer, stopServer } from "../src/rpc/engine.js";
import type { LogEntry } from "../src/goplugin/logger.js";
import { MedianContract, OnchainConfigCodec, ReportCodec } from "../src/gen/loop/internal/pb/median_pb.js";
import { MedianService, MEDIAN_PROVIDER_SERVICES } from "../src/loop/host/median-service.js";
import { OffchainConfigDigesterClient } from "../src/loop/services/provider.js";
import type { ProviderConnection } from "../src/loop/services/provider-connection.js";
import { registerProxy } from "../src/rpc/proxy.js";
import type { ReportingPluginClient } from "../src/loop/services/reporting.js";
import { RelayerService } from "../src/loop/host/relayer-service.js";
import { Duration } from "../src/loop/wire/duration.js";
import { fromBigIntWire, toBigIntWire } from "../src/loop/wire/bigint.js";
import * as F from "../examples/loop/fixtures.js";

/** The repo root: bench/ (tsx) or bench/.build/ (bundle) sits under it. */
function repoRoot(): string {
  let dir = join(fileURLToPath(import.meta.url), "..");
  for (let i = 0; i < 3 && !existsSync(join(dir, "interop", ".bin")); i++) dir = join(dir, "..");
  return dir;
}

function parseFlags(argv: string[]): { n: number; plugin: string } {
  let n = 0;
  let plugin = join(repoRoot(), "interop", ".bin", "loop-test-plugin");
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? usage(`flag -${name} needs a value`);
    if (name === "bench") {
      n = Number(value());
      if (!Number.isInteger(n) || n < 0) usage(`-bench: not a non-negative integer`);
    } else if (name === "plugin") plugin = value();
    else usage(`unknown flag ${argv[i]}`);
  }
  if (!existsSync(plugin)) usage(`plugin ${plugin} not found (run node scripts/interop-build.mjs)`);
  return { n, plugin };
}

function usage(msg: string): never {
  process.stderr.write(`loop-ts-host: ${msg}\nusage: loop-ts-host [-bench N] [-plugin PATH]\n`);
  process.exit(2);
}

const nowNs = () => process.hrtime.bigint();
const msSince = (t: bigint) => Math.round(Number(nowNs() - t) / 1e3) / 1e3;

/** p50, mean, p99 in µs (one decimal), as the Go host's stats(). */
function stats(ns: number[]): { p50: number; mean: number; p99: number } {
  if (!ns.length) return { p50: 0, mean: 0, p99: 0 };
  const s = [...ns].sort((a, b) => a - b);
  const us = (x: number) => Math.round(x / 100) / 10;
  const idx = (q: number) => Math.max(0, Math.ceil(q * s.length) - 1);
  return { p50: us(s[idx(0.5)]!), mean: us(s.reduce((a, b) => a + b, 0) / s.length), p99: us(s[idx(0.99)]!) };
}

async function timeN(n: number, fn: () => Promise<void>): Promise<number[]> {
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowNs();
    try {
      await fn();
    } catch (err) {
      throw new Error(`call ${i}: ${(err as Error).message}`);
    }
    d.push(Number(nowNs() - t));
  }
  return d;
}

function expect(what: string, ok: boolean, got: unknown): void {
  if (!ok) throw new Error(`${what}: got ${typeof got === "string" ? got : JSON.stringify(got, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
}

/**
 * The host's own provider checks, as the Go host runs them before starting the
 * median service: the same calls and fixture values (the relayer test plugin
 * checks what it receives), except ContractReader.GetLatestValue.
 */
async function checkProvider(p: ProviderConnection): Promise<void> {
  await p.service.ready();
  expect("ConfigDigestPrefix", (await p.offchainConfigDigester.configDigestPrefix()) === F.PROVIDER.configDigestPrefix, "");
  const details = await p.contractConfigTracker.latestConfigDetails();
  expect("LatestConfigDetails", details.changedInBlock === F.PROVIDER.changedInBlock && F.equalBytes(details.configDigest, F.PROVIDER.configDigest), details);
  expect("LatestBlockHeight", (await p.contractConfigTracker.latestBlockHeight()) === F.PROVIDER.blockHeight, "");
  const cfg = await p.contractConfigTracker.latestConfig(details.changedInBlock);
  expect("ConfigDigest", F.equalBytes(await p.offchainConfigDigester.configDigest(cfg), F.PROVIDER.configDigest), "");
  expect("FromAccount", (await p.contractTransmitter.fromAccount()) === F.PROVIDER.account, "");
  expect("LatestConfigDigestAndEpoch", (await p.contractTransmitter.latestConfigDigestAndEpoch()).epoch === F.PROVIDER.epoch, "");
  await p.contractTransmitter.transmit(
    { reportTimestamp: { configDigest: F.PROVIDER.configDigest, epoch: 88, round: 74 }, extraHash: F.bytesAt(32, { 1: 3, 3: 5, 7: 11 }) },
    F.bytesAt(42, { 41: 131 }),
    [{ signature: F.bytesAt(10, { 9: 8, 7: 6 }), signer: 54 }],
  );
  const codec = createClient(ReportCodec, p.channel);
  const built = await codec.buildReport({
    observations: [{ timestamp: 123, value: toBigIntWire(31n), julesPerFeeCoin: toBigIntWire(54n), gasPriceSubunits: toBigIntWire(77n), observer: 99 }],
  });
  expect("BuildReport", F.equalBytes(built.report, F.REPORT), Buffer.from(built.report).toString("hex"));
  expect("MedianFromReport", fromBigIntWire((await codec.medianFromReport({ report: F.REPORT })).median) === -1042n, "");
  expect("MaxReportLength", (await codec.maxReportLength({ n: 12n })).max === 101n, "");
  const contract = createClient(MedianContract, p.channel);
  expect("LatestTransmissionDetails", fromBigIntWire((await contract.latestTransmissionDetails({})).latestAnswer) === 123n, "");
  expect("LatestRoundRequested", (await contract.latestRoundRequested({ lookback: Duration.seconds(64) })).round === 11, "");
  const onchain = createClient(OnchainConfigCodec, p.channel);
  const enc = await onchain.encode({ onchainConfig: { min: toBigIntWire(-12n), max: toBigIntWire(1234567890987654321n) } });
  expect("OnchainConfigCodec.Encode", F.equalBytes(enc.encoded, F.bytesAt(6, { 5: 11 })), Buffer.from(enc.encoded).toString("hex"));
  const dec = (await onchain.decode({ encoded: F.bytesAt(6, { 5: 11 }) })).onchainConfig;
  expect("OnchainConfigCodec.Decode", fromBigIntWire(dec?.min) === -12n && fromBigIntWire(dec?.max) === 1234567890987654321n, "");
}

interface Result {
  ok: boolean;
  error: string;
  engine: string;
  node: string;
  start_to_first_report_ms: number | null;
  bench_n: number;
  observation_p50_us?: number;
  observation_mean_us?: number;
  observation_p99_us?: number;
  digest_prefix_p50_us?: number;
  digest_prefix_mean_us?: number;
  digest_prefix_p99_us?: number;
  proxied_prefix_p50_us?: number;
  proxied_prefix_mean_us?: number;
  proxied_prefix_p99_us?: number;
  close_ms?: number;
  leftover_plugin_sockets?: number;
  plugin_pids_alive?: number;
  log_warnings_total: number;
}

async function main(): Promise<void> {
  const { n, plugin: PLUGIN } = parseFlags(process.argv.slice(2));
  const errors: string[] = [];
  let warnings = 0;
  const logger = { log: (e: LogEntry) => void (e.level === "warn" || e.level === "error" ? warnings++ : 0) };
  // Plugin and host sockets in a private directory, as the Go host's PLUGIN_UNIX_SOCKET_DIR.
  const socketDir = mkdtempSync(join(tmpdir(), "loop-ts-host-"));
  const common = { logger, clientOptions: { unixSocketConfig: { tempDir: socketDir } } };
  const keystore = { accounts: async () => [F.ACCOUNT], sign: async () => F.bytesAt(14, { 13: 37 }), decrypt: async () => F.bytesAt(18, { 17: 41 }) };
  const res: Result = { ok: false, error: "", start_to_first_report_ms: null, bench_n: n, log_warnings_total: 0, engine: defaultEngine(), node: process.version };

  let relayer: RelayerService | undefined;
  let median: MedianService | undefined;
  let plugin: ReportingPluginClient | undefined;
  let proxyServer: Server | undefined;
  let proxyChannel: Channel | undefined;
  let releaseProxy: (() => void) | undefined;
  const pids: number[] = [];
  try {
    const t0 = nowNs();
    relayer = new RelayerService({
      cmd: { command: PLUGIN, args: ["-cmd", "relayer", "-static-checks"] },
      config: F.RELAYER_CONFIG,
      keystore,
      csaKeystore: keystore,
      ...common,
    });
    await relayer.start();
    const provider = await relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
    await checkProvider(provider);
    median = new MedianService({
      cmd: { command: PLUGIN, args: ["-cmd", "median"] },
      provider,
      contractId: F.CONTRACT_ID,
      dataSource: { observe: async () => F.DATA_SOURCE_VALUE },
      juelsPerFeeCoin: { observe: async () => F.JUELS_PER_FEE_COIN },
      gasPriceSubunits: { observe: async () => F.GAS_PRICE_SUBUNITS },
      errorLog: { saveError: async () => {} },
      ...common,
    });
    await median.start();
    const r = await median.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
    plugin = r.plugin;
    const ts = F.ROUND_TIMESTAMP;
    const query = await plugin.query(ts);
    expect("Query", F.equalBytes(query, F.QUERY), Buffer.from(query).toString("hex"));
    const observation = await plugin.observation(ts, query);
    expect("Observation", F.equalBytes(observation, F.OBSERVATION), Buffer.from(observation).toString("hex"));
    const report = await plugin.report(ts, query, [{ observation, observer: F.OBSERVER }]);
    res.start_to_first_report_ms = msSince(t0);
    expect("Report", report.shouldReport && F.equalBytes(report.report, F.REPORT), Buffer.from(report.report).toString("hex"));
    for (const pid of [relayer.client?.pid, median.client?.pid]) if (pid) pids.push(pid);

    if (n > 0) {
      const p = plugin;
      const obs = stats(
        await timeN(n, async () => {
          const o = await p.observation(ts, F.QUERY);
          if (!F.equalBytes(o, F.OBSERVATION)) throw new Error(`observation ${Buffer.from(o).toString("hex")}`);
        }),
      );
      [res.observation_p50_us, res.observation_mean_us, res.observation_p99_us] = [obs.p50, obs.mean, obs.p99];

      const prefixOf = (ocd: OffchainConfigDigesterClient) => async () => {
        const v = await ocd.configDigestPrefix();
        if (v !== F.PROVIDER.configDigestPrefix) throw new Error(`prefix ${v}`);
      };
      const direct = stats(await timeN(n, prefixOf(provider.offchainConfigDigester)));
      [res.digest_prefix_p50_us, res.digest_prefix_mean_us, res.digest_prefix_p99_us] = [direct.p50, direct.mean, direct.p99];

      // The engine the library's own host proxy runs on (GO_PLUGIN_TS_ENGINE, else the default).
      proxyServer = createServer({ maxReceiveMessageLength: 0x7fffffff, maxSendMessageLength: 0x7fffffff });
      registerProxy(proxyServer, MEDIAN_PROVIDER_SERVICES, () => provider.channel);
      const bound = await bindServer(proxyServer, { socketDir });
      releaseProxy = bound.release;
      proxyChannel = dialChannel(bound.addr);
      const viaProxy = new OffchainConfigDigesterClient(proxyChannel);
      await prefixOf(viaProxy)(); // untimed: opens the channel
      const proxied = stats(await timeN(n, prefixOf(viaProxy)));
      [res.proxied_prefix_p50_us, res.proxied_prefix_mean_us, res.proxied_prefix_p99_us] = [proxied.p50, proxied.mean, proxied.p99];
    }
  } catch (err) {
    errors.push((err as Error).message);
  } finally {
    const c0 = nowNs();
    const step = async (name: string, f: () => unknown) => {
      try {
        await f();
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
      }
    };
    proxyChannel?.close();
    if (proxyServer) {
      const s = proxyServer;
      await step("proxy shutdown", () => stopServer(s, true));
    }
    releaseProxy?.();
    if (plugin) await step("close reporting plugin", () => plugin!.close());
    if (median) await step("close median service", () => median!.close());
    if (relayer) await step("close relayer service", () => relayer!.close());
    res.close_ms = msSince(c0);
  }
  res.plugin_pids_alive = pids.filter(alive).length;
  if (res.plugin_pids_alive) errors.push(`${res.plugin_pids_alive} plugin process(es) still alive after close`);
  res.leftover_plugin_sockets = countFiles(socketDir);
  rmSync(socketDir, { recursive: true, force: true });
  res.log_warnings_total = warnings;
  res.error = errors.join("; ");
  res.ok = errors.length === 0;
  process.stdout.write(JSON.stringify(res) + "\n");
  // Exit now: nothing should be left open, but a stray grpc-js timer must not keep the process up.
  process.stdout.write("", () => process.exit(res.ok ? 0 : 1));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function countFiles(dir: string): number {
  let k = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) k += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return k;
}

await main();
