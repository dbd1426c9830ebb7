// The LOOP matrix: host {Go (chainlink-common v0.11.1's loop.NewRelayerService /
// loop.NewMedianService, interop/.bin/loop-host), TS (src/loop's RelayerService /
// MedianService)} × relayer plugin {Go test plugin, TS fixture} × median plugin {Go test
// plugin, TS fixture}. Every cell runs a full median round (each side checks every value
// the other hands it) and then the rest of the relayer surface: ConfigProvider,
// ContractReader (every RPC, bad input; the TS host also sends params in values.v1 and
// both JSONs), ContractWriter and NewCCIPProvider. The Go
// host records each surface call's outcome (`-surface`); the TS host records the same
// calls the same way; the outcomes must be what that relayer answers, and identical
// under both hosts. The matrix is printed at the end.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RpcError } from "../src/index.js";
import { MedianService } from "../src/loop/host/median-service.js";
import { RelayerService } from "../src/loop/host/relayer-service.js";
import { Confidence, ContractReaderClient, readIdentifier, type Sequence } from "../src/loop/services/contract-reader.js";
import { Encoding } from "../src/loop/wire/versioned-bytes.js";
import { query } from "../src/loop/wire/query.js";
import * as F from "../examples/loop/fixtures.js";
import { nodeTs } from "../examples/support.js";
import { BIN, processAlive, processesMatching } from "./helpers.js";

const LOOP_HOST = join(BIN, "loop-host");
const GO_PLUGIN = join(BIN, "loop-test-plugin");

type Side = "go" | "ts";
interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: string;
  code?: string;
}
type Surface = Record<string, Outcome>;

function pluginArgv(kind: "relayer" | "median", side: Side, marker: string): string[] {
  if (side === "go") return kind === "relayer" ? [GO_PLUGIN, "-cmd", "relayer", "-static-checks", marker] : [GO_PLUGIN, "-cmd", "median", marker];
  return [...nodeTs(`test/fixtures/loop/${kind}-plugin.ts`), `--marker=${marker}`];
}

// ---------------------------------------------------------------------------------------------
// The inputs the Go host uses (interop/loop/cmd/host/surface.go), mirrored.

const CONTRACT = { address: "0x24", name: "anyContract" };
const READ_NAME = "anyMethod";
const PARAMS = { param1: "value1", param2: "value2" };
const EVENT_KEY = "anyEvent";
const FILTER = query.keyFilter(
  EVENT_KEY,
  query.comparator("field", { value: { value: "seven" }, operator: "eq" }),
  query.block("10", "gte"),
  query.confidence(Confidence.Finalized),
  query.timestamp(1700000000, "lt"),
  query.txHash("0xabc"),
  query.or(query.block("1", "eq"), query.and(query.block("2", "gt"), query.block("3", "lt"))),
);
const BAD_FILTER = query.keyFilter(EVENT_KEY, query.comparator("field", { value: "seven", operator: "eq" }));
const LIMIT = query.countLimit(5, { by: "block", direction: "desc" });
const TX_ID = "tx-0001";
const META = { workflowExecutionId: "workflow-1", gasLimit: 21000n };
const TX_ARGS = { amount: 42, memo: "hello" };
const CCIP_ARGS = {
  externalJobId: F.RELAY_ARGS.externalJobId,
  contractReaderConfig: Buffer.from("test"),
  chainWriterConfig: Buffer.from("chainwriterconfig"),
  offRampAddress: Buffer.from("fakeAddress"),
  pluginType: 0,
  transmitterAddress: "fakeAddress",
  syncedAddresses: {},
};

// ---------------------------------------------------------------------------------------------
// Rendering, as the Go host renders (numbers as decimal strings, bytes as 0x-hex).

const GO_CODES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
  "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];

function render(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint" || typeof v === "number") return String(v);
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return v.map(render);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
  return v;
}

async function record(out: Surface, name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    const v = await fn();
    out[name] = v === undefined ? { ok: true } : { ok: true, value: render(v) };
  } catch (e) {
    const err = RpcError.from(e);
    const code = GO_CODES[err.code] ?? String(err.code);
    out[name] = { ok: false, error: `rpc error: code = ${code} desc = ${err.details}`, code };
  }
}

const renderSequences = (seqs: Sequence[]) =>
  seqs.map((s) => ({ cursor: s.cursor, txHash: s.txHash, height: s.head.height, hash: s.head.hash, timestamp: s.head.timestamp, data: s.data }));

/** The TS host's side of interop/loop/cmd/host/surface.go: the same calls, the same order. */
async function tsSurface(relayer: RelayerService): Promise<Surface> {
  const out: Surface = {};
  await record(out, "relayer/chain_status", () => relayer.getChainStatus());
  const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
  const cp = await relayer.newConfigProvider(F.RELAY_ARGS).catch(asError);
  await record(out, "config_provider/new", async () => {
    if (cp instanceof Error) throw cp;
  });
  if (!(cp instanceof Error)) {
    const d = cp.offchainConfigDigester;
    const t = cp.contractConfigTracker;
    await record(out, "config_provider/config_digest_prefix", () => d.configDigestPrefix());
    await record(out, "config_provider/config_digest", async () => d.configDigest(await t.latestConfig(F.PROVIDER.changedInBlock)));
    await record(out, "config_provider/latest_config_details", () => t.latestConfigDetails());
    await record(out, "config_provider/latest_config", async () => {
      const c = await t.latestConfig(F.PROVIDER.changedInBlock);
      return {
        configDigest: c.configDigest, configCount: c.configCount, f: c.f, onchainConfig: c.onchainConfig, offchainConfigVersion: c.offchainConfigVersion,
        offchainConfig: c.offchainConfig, transmitters: `[${c.transmitters.join(" ")}]`, signers: c.signers.length,
      };
    });
    await record(out, "config_provider/latest_block_height", () => t.latestBlockHeight());
    await record(out, "config_provider/ready", () => cp.service.ready());
    await record(out, "config_provider/close", () => cp.close());
  }

  const cr = await relayer.newContractReader(Buffer.from("test")).catch(asError);
  await record(out, "contract_reader/new", async () => {
    if (cr instanceof Error) throw cr;
  });
  if (!(cr instanceof Error)) {
    const id = readIdentifier(CONTRACT, READ_NAME);
    await record(out, "contract_reader/start", async () => undefined);
    await record(out, "contract_reader/get_latest_value", () => cr.getLatestValue(id, Confidence.Unconfirmed, PARAMS));
    await record(out, "contract_reader/get_latest_value_as_values", () => cr.getLatestValue(id, Confidence.Finalized, PARAMS, { asValues: true }));
    await record(out, "contract_reader/get_latest_value_with_head_data", async () => {
      const r = await cr.getLatestValueWithHeadData(id, Confidence.Safe, PARAMS);
      return { value: r.value, head: r.head ? { height: r.head.height, hash: r.head.hash, timestamp: r.head.timestamp } : null };
    });
    await record(out, "contract_reader/get_latest_value_unknown_read", () => cr.getLatestValue(readIdentifier(CONTRACT, "noSuchMethod"), Confidence.Unconfirmed, PARAMS));
    // Params sent as values.v1 and as both JSONs (Go's WithClientEncoding); the answer comes back in the same encoding.
    await record(out, "contract_reader/get_latest_value_values_params", () =>
      new ContractReaderClient(cr.channel, { encoding: Encoding.ValuesProto }).getLatestValue(id, Confidence.Unconfirmed, PARAMS),
    );
    await record(out, "contract_reader/get_latest_value_json_v1_params", () =>
      new ContractReaderClient(cr.channel, { encoding: Encoding.JSONv1 }).getLatestValue(id, Confidence.Unconfirmed, PARAMS),
    );
    await record(out, "contract_reader/get_latest_value_json_v2_params", () =>
      new ContractReaderClient(cr.channel, { encoding: Encoding.JSONv2 }).getLatestValue(id, Confidence.Unconfirmed, PARAMS),
    );
    // Bytes no Go client would send: an unknown VersionedBytes version; the reader keeps serving (the calls below).
    await record(out, "contract_reader/get_latest_value_wrong_encoding", () =>
      cr.rpc.getLatestValue({ readIdentifier: id, confidence: Confidence.Unconfirmed, params: { version: 7, data: Uint8Array.of(1, 2, 3) } }),
    );
    await record(out, "contract_reader/batch_get_latest_values", async () => {
      const res = await cr.batchGetLatestValues([{ contract: CONTRACT, reads: [{ readName: READ_NAME, params: PARAMS }] }]);
      return res.flatMap((b) => b.results.map((r) => ({ contract: `${b.contract.address}/${b.contract.name}`, readName: r.readName, value: r.value, error: r.error ?? "" })));
    });
    await record(out, "contract_reader/query_key", async () => renderSequences(await cr.queryKey(CONTRACT, FILTER, LIMIT)));
    await record(out, "contract_reader/query_key_bad_value", async () => void (await cr.queryKey(CONTRACT, BAD_FILTER, LIMIT)));
    await record(out, "contract_reader/query_key_as_values", async () => renderSequences(await cr.queryKey(CONTRACT, FILTER, LIMIT, { asValues: true })));
    await record(out, "contract_reader/query_keys", async () => {
      const r = await cr.queryKeys([{ contract: CONTRACT, filter: FILTER }], LIMIT);
      return r.map(({ key, sequence }) => ({ key, sequence: renderSequences([sequence])[0] }));
    });
    await record(out, "contract_reader/bind", () => cr.bind([CONTRACT]));
    await record(out, "contract_reader/unbind", () => cr.unbind([CONTRACT]));
    await record(out, "contract_reader/ready", () => cr.service.ready());
    await record(out, "contract_reader/close", () => cr.close());
  }

  const cw = await relayer.newContractWriter(Buffer.from("chainwriterconfig")).catch(asError);
  await record(out, "contract_writer/new", async () => {
    if (cw instanceof Error) throw cw;
  });
  if (!(cw instanceof Error)) {
    const submit = { contractName: CONTRACT.name, method: READ_NAME, args: TX_ARGS, transactionId: TX_ID, toAddress: CONTRACT.address, meta: META, value: 5n };
    await record(out, "contract_writer/submit_transaction", () => cw.submitTransaction(submit));
    if (out["contract_writer/submit_transaction"].ok) {
      await record(out, "contract_writer/get_transaction_status", () => cw.getTransactionStatus(TX_ID));
      await record(out, "contract_writer/get_fee_components", () => cw.getFeeComponents());
      await record(out, "contract_writer/get_estimate_fee", () => cw.getEstimateFee({ ...submit }));
      await record(out, "contract_writer/submit_transaction_bad_params", () =>
        cw.submitTransaction({ ...submit, args: ["not", "a", "map"], transactionId: `${TX_ID}-bad`, meta: undefined, value: undefined }),
      );
      await record(out, "contract_writer/ready", () => cw.service.ready());
      await record(out, "contract_writer/close", () => cw.close());
    }
  }

  // NewCCIPProvider (the TS host serves no ExtraDataCodecBundle: id 0).
  await record(out, "ccip_provider/new", async () => void (await (await relayer.relayer()).newCCIPProvider(CCIP_ARGS)));
  return out;
}

/**
 * Go's relayer client creates readers and writers lazily: a refused NewContractWriter
 * shows up as the first call's error, after that call's deadline ("context deadline
 * exceeded: last error: <the relayer's error>"). The TS host asks eagerly. Both are
 * brought to the eager form: the factory's own error, on "…/new".
 */
function normalise(s: Surface): Surface {
  const out: Surface = { ...s };
  delete out["contract_reader/health_report"]; // names the host's own client objects
  const first = out["contract_writer/submit_transaction"];
  if (out["contract_writer/new"]?.ok && first && !first.ok && first.error?.includes("last error: ")) {
    out["contract_writer/new"] = { ok: false, error: first.error.slice(first.error.indexOf("last error: ") + "last error: ".length), code: first.code };
    delete out["contract_writer/submit_transaction"];
  }
  const ccipFirst = out["ccip_provider/get_chain_fee_components"];
  if (out["ccip_provider/new"]?.ok && ccipFirst && !ccipFirst.ok && ccipFirst.error?.includes("last error: ")) {
    out["ccip_provider/new"] = { ok: false, error: ccipFirst.error.slice(ccipFirst.error.indexOf("last error: ") + "last error: ".length), code: ccipFirst.code };
    delete out["ccip_provider/get_chain_fee_components"];
  }
  // Go's static relayer refuses by printing both argument sets, one holding a pointer: compared up to the first line.
  const ccip = out["ccip_provider/new"];
  if (ccip?.error) out["ccip_provider/new"] = { ...ccip, error: ccip.error.split("\n")[0] };
  return out;
}

// ---------------------------------------------------------------------------------------------
// What each relayer answers.

const CONFIG_PROVIDER: Surface = {
  "relayer/chain_status": { ok: true, value: { id: "some_chain", enabled: true, config: "" } },
  "config_provider/new": { ok: true },
  "config_provider/config_digest_prefix": { ok: true, value: "99" },
  "config_provider/config_digest": { ok: true, value: "0x000700000000000000000000000b000000000000000000000000000000000017" },
  "config_provider/latest_config_details": { ok: true, value: { changedInBlock: "14", configDigest: "0x000700000000000000000000000b000000000000000000000000000000000017" } },
  "config_provider/latest_config": {
    ok: true,
    value: {
      configCount: "42", configDigest: "0x000700000000000000000000000b000000000000000000000000000000000017", f: "11", offchainConfig: "0x00630000000000000000000037",
      offchainConfigVersion: "2", onchainConfig: "0x00000b0000000000000000000000160000000000000000000000000000000001", signers: "1", transmitters: "[foo bar]",
    },
  },
  "config_provider/latest_block_height": { ok: true, value: "1337" },
  "config_provider/ready": { ok: true },
  "config_provider/close": { ok: true },
};
const LATEST = { ret1: "latestValue1", ret2: "latestValue2" };
const UNKNOWN_READ = {
  ok: false,
  code: "InvalidArgument",
  error: "rpc error: code = InvalidArgument desc = invalid type: expected report context 0x24-anyContract-anyMethod but got 0x24-anyContract-noSuchMethod",
};
const BAD_VALUE = {
  ok: false,
  code: "InvalidArgument",
  error: "rpc error: code = InvalidArgument desc = invalid type: cbor: cannot unmarshal UTF-8 text string into Go value of type map[string]interface {}",
};
const READER_COMMON: Surface = {
  "contract_reader/new": { ok: true },
  "contract_reader/start": { ok: true },
  "contract_reader/get_latest_value": { ok: true, value: LATEST },
  "contract_reader/get_latest_value_as_values": { ok: true, value: LATEST },
  "contract_reader/get_latest_value_unknown_read": UNKNOWN_READ,
  "contract_reader/query_key_bad_value": BAD_VALUE,
  "contract_reader/bind": { ok: true },
  "contract_reader/unbind": { ok: true },
  "contract_reader/ready": { ok: true },
  "contract_reader/close": { ok: true },
};

/** chainlink-common's static relayer (pkg/loop/internal/relayer/test, -static-checks). */
const GO_RELAYER: Surface = {
  ...CONFIG_PROVIDER,
  ...READER_COMMON,
  "contract_reader/get_latest_value_with_head_data": {
    ok: false,
    code: "Unimplemented",
    error: "rpc error: code = Unimplemented desc = ContractReader.GetLatestValueWithHeadData unimplemented",
  },
  "contract_reader/batch_get_latest_values": { ok: true, value: [] },
  "contract_reader/query_key": { ok: true, value: [] },
  "contract_reader/query_key_as_values": { ok: true, value: [] },
  "contract_reader/query_keys": { ok: false, code: "Unimplemented", error: "rpc error: code = Unimplemented desc = ContractReader.QueryKeys unimplemented" },
  "contract_writer/new": { ok: false, code: "Unknown", error: "rpc error: code = Unknown desc = not implemented" },
  // Its static checks compare the ExtraDataCodecBundle by identity, which no caller across a process boundary can match.
  "ccip_provider/new": { ok: false, code: "Unknown", error: "rpc error: code = Unknown desc = expected relay args:" },
};

const HEAD = { height: "1337", hash: "0xde0000ef", timestamp: "1700000000" };
const FILTER_TEXT =
  'field[eq {"value":"seven"}]; block gte 10; confidence 1; timestamp lt 1700000000; txHash 0xabc; or(block eq 1, and(block gt 2, block lt 3))';
const seq = (n: number) => ({
  cursor: `anyEvent-${n}`,
  txHash: n === 0 ? "0x0100" : "0x0200",
  height: HEAD.height,
  hash: HEAD.hash,
  timestamp: HEAD.timestamp,
  data: { contract: "0x24-anyContract-anyEvent", filter: FILTER_TEXT, limit: "count 5 by block desc" },
});

/** The TS fixture relayer (test/fixtures/loop/relayer-plugin.ts): a full reader and an in-memory writer. */
const TS_RELAYER: Surface = {
  ...CONFIG_PROVIDER,
  ...READER_COMMON,
  "contract_reader/get_latest_value_with_head_data": { ok: true, value: { value: LATEST, head: HEAD } },
  "contract_reader/batch_get_latest_values": { ok: true, value: [{ contract: "0x24/anyContract", readName: "anyMethod", value: LATEST, error: "" }] },
  "contract_reader/query_key": { ok: true, value: [seq(0), seq(1)] },
  "contract_reader/query_key_as_values": { ok: true, value: [seq(0), seq(1)] },
  "contract_reader/query_keys": { ok: true, value: [{ key: "anyEvent", sequence: seq(0) }] },
  "contract_writer/new": { ok: true },
  "contract_writer/submit_transaction": { ok: true },
  "contract_writer/get_transaction_status": { ok: true, value: "3" },
  "contract_writer/get_fee_components": { ok: true, value: { executionFee: "1000000000", dataAvailabilityFee: "7" } },
  "contract_writer/get_estimate_fee": { ok: true, value: { fee: "21000000000005", decimals: "18" } },
  "contract_writer/submit_transaction_bad_params": {
    ok: false,
    code: "InvalidArgument",
    error: "rpc error: code = InvalidArgument desc = invalid type: cbor: cannot unmarshal array into Go value of type map[string]interface {}",
  },
  "contract_writer/ready": { ok: true },
  "contract_writer/close": { ok: true },
  // The matrix fixture has no newCCIPProvider: Go's types.UnimplementedRelayer answer.
  "ccip_provider/new": { ok: false, code: "Unimplemented", error: "rpc error: code = Unimplemented desc = method NewCCIPProvider not implemented" },
};

/** Calls only the TS host makes (a Go client cannot be made to send them). */
const TS_HOST_ONLY: Surface = {
  "contract_reader/get_latest_value_values_params": { ok: true, value: LATEST },
  "contract_reader/get_latest_value_json_v1_params": { ok: true, value: LATEST },
  "contract_reader/get_latest_value_json_v2_params": { ok: true, value: LATEST },
  "contract_reader/get_latest_value_wrong_encoding": {
    ok: false,
    code: "Unknown",
    error: "rpc error: code = Unknown desc = unsupported encoding version 7 for versionedData [1 2 3]",
  },
};

// ---------------------------------------------------------------------------------------------
// Running a cell.

interface CellResult {
  round: boolean;
  roundError: string;
  surface: Surface;
  leftovers: number;
}

function runGoHost(relayer: Side, median: Side, marker: string): Promise<CellResult> {
  const args = ["-timeout", "90s", "-surface", "-relayer-cmd", pluginArgv("relayer", relayer, marker).join(" "), "-median-cmd", pluginArgv("median", median, marker).join(" ")];
  return new Promise((resolve, reject) => {
    execFile(LOOP_HOST, args, { timeout: 120_000, maxBuffer: 16 << 20, cwd: tmpdir() }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        const r = JSON.parse(last);
        resolve({ round: r.ok, roundError: r.error, surface: r.surface ?? {}, leftovers: r.leftover_children + processesMatching(marker).length });
      } catch {
        reject(new Error(`loop-host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr.slice(-3000)}`));
      }
    });
  });
}

async function runTsHost(relayerSide: Side, medianSide: Side, marker: string): Promise<CellResult> {
  const socketDir = mkdtempSync(join(tmpdir(), "loop-matrix-"));
  const common = { clientOptions: { unixSocketConfig: { tempDir: socketDir } } };
  const [rc, ...ra] = pluginArgv("relayer", relayerSide, marker);
  const [mc, ...ma] = pluginArgv("median", medianSide, marker);
  const relayer = new RelayerService({ cmd: { command: rc, args: ra }, config: F.RELAYER_CONFIG, keystore: F.KEYSTORE, csaKeystore: F.KEYSTORE, ...common });
  let median: MedianService | undefined;
  const errors: string[] = [];
  const check = (what: string, ok: boolean) => ok || errors.push(what);
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  let surface: Surface = {};
  const pids: Array<number | undefined> = [];
  try {
    const provider = await relayer.newPluginProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
    const saved: string[] = [];
    median = new MedianService({
      cmd: { command: mc, args: ma },
      provider,
      contractId: F.CONTRACT_ID,
      dataSource: { observe: async () => F.DATA_SOURCE_VALUE },
      juelsPerFeeCoin: { observe: async () => F.JUELS_PER_FEE_COIN },
      gasPriceSubunits: { observe: async () => F.GAS_PRICE_SUBUNITS },
      errorLog: { saveError: async (m) => void saved.push(m) },
      ...common,
    });
    const { plugin, info } = await median.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
    pids.push(relayer.client?.pid, median.client?.pid);
    const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
    check("reporting plugin info", json(info) === json(F.REPORTING_PLUGIN_INFO));
    const ts = F.ROUND_TIMESTAMP;
    check("query", hex(await plugin.query(ts)) === hex(F.QUERY));
    const obs = await plugin.observation(ts, F.QUERY);
    check("observation", hex(obs) === hex(F.OBSERVATION));
    const report = await plugin.report(ts, F.QUERY, [{ observation: obs, observer: F.OBSERVER }]);
    check("report", report.shouldReport && hex(report.report) === hex(F.REPORT));
    check("shouldAccept", await plugin.shouldAcceptFinalizedReport(ts, report.report));
    check("shouldTransmit", await plugin.shouldTransmitAcceptedReport(ts, report.report));
    check("errorlog", saved[0] === F.SAVED_ERROR);
    await plugin.close();
    surface = await tsSurface(relayer);
  } catch (e) {
    errors.push(String(e));
  } finally {
    await median?.close();
    await relayer.close();
  }
  const leftovers = pids.filter((p) => processAlive(p)).length + processesMatching(marker).length + readdirSync(socketDir).length;
  rmSync(socketDir, { recursive: true, force: true });
  return { round: errors.length === 0, roundError: errors.join("; "), surface, leftovers };
}

const SIDES: Side[] = ["go", "ts"];
const CELLS = SIDES.flatMap((host) => SIDES.flatMap((relayer) => SIDES.map((median) => ({ host, relayer, median }))));
const results = new Map<string, CellResult>();
const cellName = (c: { host: Side; relayer: Side; median: Side }) => `${c.host} host × ${c.relayer} relayer × ${c.median} median`;

describe("LOOP matrix: host × relayer × median, each a median round plus the relayer surface", () => {
  afterAll(() => {
    const rows = CELLS.map((c) => {
      const r = results.get(cellName(c));
      const surface = r ? Object.values(normalise(r.surface)) : [];
      return `${c.host.padEnd(4)} ${c.relayer.padEnd(7)} ${c.median.padEnd(6)} ${r ? (r.round ? "ok  " : "FAIL") : "—   "}  ${String(surface.length).padStart(2)} calls (${surface.filter((o) => o.ok).length} ok)`;
    });
    console.log(["LOOP matrix: host relayer median, median round, relayer-surface calls (as compared)", ...rows].join("\n"));
  });

  test.each(CELLS)("$host host × $relayer relayer × $median median", async (cell) => {
    const marker = `loop-matrix-${randomUUID()}`;
    const r = cell.host === "go" ? await runGoHost(cell.relayer, cell.median, marker) : await runTsHost(cell.relayer, cell.median, marker);
    results.set(cellName(cell), r);
    expect(r.roundError).toBe("");
    expect(r.round).toBe(true);
    expect(normalise(r.surface)).toEqual({ ...(cell.relayer === "go" ? GO_RELAYER : TS_RELAYER), ...(cell.host === "ts" ? TS_HOST_ONLY : {}) });
    expect(r.leftovers).toBe(0);
  }, 150_000);
});
