// The two gRPC engines side by side as a client of the Go test plugin
// (bench.Echo), against go-plugin's Go host on the same plugin in the same run.
//
//   npx tsx bench/engine.ts                      (after node scripts/interop-build.mjs)
//   PATH=$(dirname $(node scripts/node-runtime.mjs 24)):$PATH npx tsx bench/engine.ts
//   ENGINE_BENCH_N=2000 ENGINE_BENCH_N_LARGE=50 ENGINE_BENCH_ROUNDS=3 ENGINE_BENCH_ONLY=h2|grpc-js
//
// Client side only (ts->go): the plugin side of a TS pair is served by serve(),
// which still runs on grpc-js. Appends one row per engine and payload, naming
// node and engine, to bench/results/engine.json and rewrites engine.md from it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, createClient, dialChannel, H2Channel, type Channel, type ClientOf } from "../src/index.js";
import { Echo } from "../test/gen/bench/echo_pb.js";
import { GO_PLUGIN, pluginCommand, ROOT, runHost, Sandbox } from "./lib.js";

const N = Number(process.env.ENGINE_BENCH_N ?? 2000);
const N_LARGE = Number(process.env.ENGINE_BENCH_N_LARGE ?? 50);
const ROUNDS = Number(process.env.ENGINE_BENCH_ROUNDS ?? 3);
const WARMUP = 200;
const log = (s: string) => process.stderr.write(s + "\n");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

type Echoer = ClientOf<typeof Echo>;

async function serial(c: Echoer, payload: Uint8Array, n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await c.echo({ value: payload }, { deadline: 30_000 });
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return lat;
}

async function inFlight(c: Echoer, payload: Uint8Array, n: number, width: number): Promise<number> {
  let left = n;
  const t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (left-- > 0) await c.echo({ value: payload }, { deadline: 30_000 });
    }),
  );
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

interface Row {
  node: string;
  engine: string;
  pair: string;
  payload: number;
  p50_us: number;
  p99_us: number;
  calls_per_s_c64: number | null;
  mb_per_s: number | null;
  go_p50_us: number;
  ratio_p50_vs_go: number;
  ratio_c64_vs_go: number | null;
  ratio_mb_vs_go: number | null;
}

const sandbox = new Sandbox();
const plugin = new Client({
  handshakeConfig: { protocolVersion: 1, magicCookieKey: "TEST_MAGIC_COOKIE", magicCookieValue: "test" },
  plugins: { test: {} },
  cmd: { command: GO_PLUGIN, args: [] },
  logger: { log() {} },
});
try {
  await plugin.start();
  const addr = plugin.address!;
  const only = process.env.ENGINE_BENCH_ONLY; // one engine, for profiling
  const makers: Record<string, () => Channel> = { "grpc-js": () => dialChannel(addr), h2: () => new H2Channel(addr) };
  const channels = Object.fromEntries(Object.entries(makers).filter(([e]) => !only || e === only).map(([e, make]) => [e, make()]));
  const small = new Uint8Array(16);
  const large = new Uint8Array(1 << 20);
  const samples: Record<string, { p50: number[]; p99: number[]; c64: number[]; mb: number[] }> = {};
  const go = { p50: [] as number[], c64: [] as number[], mb: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const g16 = await runHost(sandbox, "go", ["-cmd", pluginCommand("go"), "-scenario", "bench", "-payload", "16", "-n", String(N), "-warmup", String(WARMUP)]);
    const g1m = await runHost(sandbox, "go", ["-cmd", pluginCommand("go"), "-scenario", "bench", "-payload", String(1 << 20), "-n", String(N_LARGE), "-warmup", "5"]);
    if (!g16.ok || !g1m.ok) throw new Error(`go host: ${g16.error || g1m.error}`);
    go.p50.push(g16.p50_us as number);
    go.c64.push(g16.calls_per_s_c64 as number);
    go.mb.push(g1m.mb_per_s as number);
    for (const [engine, ch] of Object.entries(channels)) {
      const c = createClient(Echo, ch);
      await serial(c, small, WARMUP);
      const lat = await serial(c, small, N);
      const c64 = await inFlight(c, small, N * 2, 64);
      await serial(c, large, 3);
      const t = process.hrtime.bigint();
      await serial(c, large, N_LARGE);
      const mb = (N_LARGE * large.length) / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9);
      const s = (samples[engine] ??= { p50: [], p99: [], c64: [], mb: [] });
      s.p50.push(median(lat));
      s.p99.push(pct(lat, 0.99));
      s.c64.push(c64);
      s.mb.push(mb);
      log(`round ${round + 1}: ${engine} p50 ${median(lat).toFixed(0)} µs, c64 ${c64.toFixed(0)}/s, 1 MiB ${mb.toFixed(0)} MB/s (go p50 ${go.p50.at(-1)})`);
    }
  }
  for (const ch of Object.values(channels)) ch.close();
  const goP50 = median(go.p50);
  const goC64 = median(go.c64);
  const goMb = median(go.mb);
  const rows: Row[] = Object.entries(samples).map(([engine, s]) => ({
    node: process.version,
    engine,
    pair: "ts->go",
    payload: 16,
    p50_us: Math.round(median(s.p50)),
    p99_us: Math.round(median(s.p99)),
    calls_per_s_c64: Math.round(median(s.c64)),
    mb_per_s: Math.round(median(s.mb)),
    go_p50_us: Math.round(goP50),
    ratio_p50_vs_go: +(median(s.p50) / goP50).toFixed(2),
    ratio_c64_vs_go: +(median(s.c64) / goC64).toFixed(2),
    ratio_mb_vs_go: +(median(s.mb) / goMb).toFixed(2),
  }));
  // A profiling run (one engine) records nothing.
  record: {
    if (only) break record;
    const file = join(ROOT, "bench", "results", "engine.json");
    const prev: { rows: Row[] } = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { rows: [] };
    const all = [...prev.rows.filter((r) => r.node !== process.version), ...rows];
    writeFileSync(file, JSON.stringify({ note: "ts->go client side; go->go from go-plugin's Go host on the same plugin, same run; medians of interleaved rounds; shared 2-core machine", n: N, n_large: N_LARGE, rounds: ROUNDS, rows: all }, null, 2) + "\n");
    const md = [
      `# Engines as a client of the Go test plugin (ts->go), vs go-plugin's Go host (go->go)`,
      ``,
      `16 B: ${N} serial calls (p50, p99) and ${N * 2} calls 64 in flight; 1 MiB: ${N_LARGE} serial calls. Median of ${ROUNDS} interleaved rounds; shared 2-core machine, other jobs running.`,
      ``,
      `| node | engine | p50 µs | p99 µs | c64 calls/s | 1 MiB MB/s | go->go p50 µs | p50 ÷ go | c64 ÷ go | MB/s ÷ go |`,
      `|---|---|---|---|---|---|---|---|---|---|`,
      ...all.map((r) => `| ${r.node} | ${r.engine} | ${r.p50_us} | ${r.p99_us} | ${r.calls_per_s_c64} | ${r.mb_per_s} | ${r.go_p50_us} | ${r.ratio_p50_vs_go}× | ${r.ratio_c64_vs_go}× | ${r.ratio_mb_vs_go}× |`),
    ].join("\n");
    writeFileSync(join(ROOT, "bench", "results", "engine.md"), md + "\n");
    console.log(md);
  }
} finally {
  await plugin.kill();
  sandbox.dispose();
}
