// A LOOP plugin's gRPC Prometheus metrics against Go's. chainlink-common v0.11.1's Go LOOP host
// (interop/.bin/loop-host) runs the same median round, provider checks and relayer surface twice:
// once with a Go relayer served as production LOOP binaries serve it (loop.MustNewStartedServer and
// its GRPCOpts: go-grpc-middleware providers/prometheus v1.0.1 on the plugin's server and every
// brokered one; loop-peer -loop-relayer), once with the TS relayer fixture (serveLoop). Only the
// relayer gets CL_PROMETHEUS_PORT; the host scrapes its /metrics after the round, while it still
// serves. The grpc_server_* and grpc_client_* families must agree: names, HELP, TYPE, every series'
// labels, every counter's value and each histogram's buckets and count. Go's output is the oracle.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeTs } from "../examples/support.js";
import { BIN, processesMatching } from "./helpers.js";

const LOOP_HOST = join(BIN, "loop-host");
const LOOP_PEER = join(BIN, "loop-peer");

interface Family {
  help?: string;
  type?: string;
  /** Series key (sample name + sorted labels) → value. */
  samples: Map<string, number>;
}

/** Parses the Prometheus text exposition format into families by name. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: new Map() }));
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === "HELP") f.help = meta[3];
      else f.type = meta[3];
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const [, name, rawLabels = "", value] = m;
    const labels = [...rawLabels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${JSON.stringify(v)}`).sort();
    // A histogram's _bucket/_sum/_count samples belong to the family its TYPE line named.
    const base = [name!, name!.replace(/_(bucket|sum|count)$/, "")].find((n) => families.get(n)?.type !== undefined) ?? name!;
    family(base).samples.set(`${name}{${labels.join(",")}}`, Number(value));
  }
  return families;
}

/**
 * The host's keep-alive pings (chainlink-common's PluginService calls grpc.health.v1.Health/Check
 * every 5 s), whose number depends on how long a run takes, not on what the plugin does.
 */
const HEALTH_CHECK = 'grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"';

/**
 * The families named `prefix`* that have samples (Go exposes no family before its first series),
 * without the keep-alive pings' series, which `pings` collects instead.
 */
function grpcFamilies(text: string, prefix: string, pings: string[]): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const [name, f] of parseExposition(text)) {
    if (!name.startsWith(prefix) || f.samples.size === 0) continue;
    const samples = new Map<string, number>();
    for (const [key, value] of f.samples) {
      if (key.includes(HEALTH_CHECK)) pings.push(key);
      else samples.set(key, value);
    }
    out.set(name, { ...f, samples });
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface HostRun {
  ok: boolean;
  error: string;
  metrics: string;
  leftovers: number;
}

async function runHost(relayerArgv: string[], marker: string): Promise<HostRun> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const args = ["-timeout", "90s", "-relayer-cmd", relayerArgv.join(" "), "-relayer-env", `CL_PROMETHEUS_PORT=${port}`, "-scrape", url];
  return new Promise((resolve, reject) => {
    execFile(LOOP_HOST, args, { timeout: 120_000, maxBuffer: 16 << 20, cwd: tmpdir() }, (err, stdout, stderr) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        const r = JSON.parse(last);
        resolve({ ok: r.ok, error: r.error, metrics: r.scrapes?.[url] ?? "", leftovers: r.leftover_children + processesMatching(marker).length });
      } catch {
        reject(new Error(`loop-host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr.slice(-3000)}`));
      }
    });
  });
}

/** A series key without its `le` label: the histogram series a bucket sample belongs to. */
const withoutLe = (key: string) => key.replace(/,?le="[^"]*"/, "").replace("{,", "{");

/** The two scrapes, made once for every test below. */
interface Scrapes {
  go: string;
  ts: string;
}
let scrapes: Promise<Scrapes> | undefined;

function scrape(): Promise<Scrapes> {
  return (scrapes ??= (async () => {
    const goMarker = `go-${randomUUID()}`;
    const tsMarker = `--marker=ts-${randomUUID()}`;
    // One after the other: each run's relayer is alone on its port and its host.
    const goRun = await runHost([LOOP_PEER, "-loop-relayer", goMarker], goMarker);
    const tsRun = await runHost([...nodeTs("test/fixtures/loop/relayer-plugin.ts"), tsMarker], tsMarker);
    for (const [side, run] of [["Go", goRun], ["TS", tsRun]] as const) {
      if (!run.ok) throw new Error(`${side} relayer run failed: ${run.error}`);
      if (run.leftovers !== 0) throw new Error(`${side} relayer run left ${run.leftovers} process(es)`);
    }
    return { go: goRun.metrics, ts: tsRun.metrics };
  })());
}

const FIVE = ["handled_total", "handling_seconds", "msg_received_total", "msg_sent_total", "started_total"];

// The server side: the relayer's own server and its brokered provider servers. The client side: its
// brokered dials to the host's services (the Keystore, which chainlink-common's relayer asks for accounts).
describe.each(["server", "client"] as const)("grpc_%s_* metrics of a LOOP relayer: TS (serveLoop) against Go (loop.MustNewStartedServer), under chainlink-common's Go host", (side) => {
  const prefix = `grpc_${side}_`;
  const histogram = `${prefix}handling_seconds`;
  let go: Map<string, Family>;
  let ts: Map<string, Family>;
  const goPings: string[] = [];
  const tsPings: string[] = [];

  beforeAll(async () => {
    const s = await scrape();
    go = grpcFamilies(s.go, prefix, goPings);
    ts = grpcFamilies(s.ts, prefix, tsPings);
  }, 300_000);

  test("Go's relayer exposes the five families (the oracle is not empty)", () => {
    expect([...go.keys()].sort()).toEqual(FIVE.map((n) => prefix + n));
    const services = [...go.get(`${prefix}started_total`)!.samples.keys()].join("\n");
    if (side === "server") {
      // The relayer's own server and its brokered provider servers both count.
      expect(services).toContain('grpc_service="loop.PluginRelayer"');
      expect(services).toContain('grpc_service="loop.ReportCodec"');
    } else {
      expect(services).toContain('grpc_method="Accounts",grpc_service="loop.Keystore"');
    }
  });

  test("the same families, with the same HELP and TYPE", () => {
    expect([...ts.keys()].sort()).toEqual([...go.keys()].sort());
    for (const [name, f] of go) {
      expect({ name, help: ts.get(name)?.help, type: ts.get(name)?.type }).toEqual({ name, help: f.help, type: f.type });
    }
  });

  test("counters: the same series (grpc_type, grpc_service, grpc_method, grpc_code) with the same values", () => {
    for (const [name, f] of go) {
      if (f.type !== "counter") continue;
      expect({ name, series: Object.fromEntries([...ts.get(name)!.samples].sort()) }).toEqual({ name, series: Object.fromEntries([...f.samples].sort()) });
    }
  });

  test("the handling-time histogram: the same series, Go's bucket boundaries (chainlink's grpcpromBuckets) and the same counts", () => {
    const seriesOf = (key: string) => withoutLe(key).replace(new RegExp(`^${histogram}_(bucket|sum|count)`), "");
    const shape = (f: Family) => {
      const out: Record<string, { le: string[]; count: number; sum: boolean; infIsCount: boolean }> = {};
      for (const [key, value] of f.samples) {
        const s = (out[seriesOf(key)] ??= { le: [], count: NaN, sum: false, infIsCount: false });
        if (key.startsWith(`${histogram}_bucket`)) s.le.push(/le="([^"]*)"/.exec(key)![1]!);
        else if (key.startsWith(`${histogram}_count`)) s.count = value;
        else s.sum = Number.isFinite(value) && value >= 0;
      }
      for (const [key, value] of f.samples) if (key.includes('le="+Inf"')) out[seriesOf(key)]!.infIsCount = value === out[seriesOf(key)]!.count;
      for (const s of Object.values(out)) s.le.sort((a, b) => Number(a) - Number(b));
      return out;
    };
    const goShape = shape(go.get(histogram)!);
    expect(Object.values(goShape)[0]?.le).toEqual(["0.001", "0.01", "0.1", "0.3", "0.6", "1", "3", "6", "9", "20", "30", "60", "90", "120", "+Inf"]);
    expect(shape(ts.get(histogram)!)).toEqual(goShape);
  });

  test("keep-alive pings (server side), when a run lasted long enough to have any, are counted under Go's labels", () => {
    // Their number follows the run's length; their series must still be Go's (code OK, all five families).
    const series = (keys: string[]) => [...new Set(keys.map((k) => k.replace(/\{.*\}/, (l) => withoutLe(l)).replace(/ .*/, "")))].sort();
    const expected = [
      `grpc_server_handled_total{grpc_code="OK",${HEALTH_CHECK}}`,
      `grpc_server_handling_seconds_bucket{${HEALTH_CHECK}}`,
      `grpc_server_handling_seconds_count{${HEALTH_CHECK}}`,
      `grpc_server_handling_seconds_sum{${HEALTH_CHECK}}`,
      `grpc_server_msg_received_total{${HEALTH_CHECK}}`,
      `grpc_server_msg_sent_total{${HEALTH_CHECK}}`,
      `grpc_server_started_total{${HEALTH_CHECK}}`,
    ];
    if (side === "client") expect([...goPings, ...tsPings]).toEqual([]);
    for (const pings of [goPings, tsPings]) if (pings.length > 0) expect(series(pings)).toEqual(expected);
  });
});
