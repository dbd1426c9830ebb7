// Benchmarks the four host->plugin pairs (go->go, ts->go, go->ts, ts->ts) on
// the same work and compares each figure with go->go.
//
//   npm run bench            (= node scripts/interop-build.mjs && tsx bench/run.ts)
//   BENCH_QUICK=1 npm run bench                      smoke run
//   BENCH_NODES=system,24 BENCH_ENGINES=h2,grpc-js    TS runtimes (default: both × both)
//   BENCH_N_SMALL=2000 BENCH_N_LARGE=200 BENCH_WARMUP=200 BENCH_START_N=5 BENCH_REPEAT=3
//   (or flags: --quick --n-small=N --n-large=N --warmup=N --start-n=N --repeat=N)
//
// Hosts: interop/.bin/goplugin-host and bench/ts-host.ts; plugins:
// interop/.bin/goplugin-test and test/fixtures/ts-plugin.ts. The TS side runs
// from esbuild bundles in bench/.build (no tsx at bench time), each host and
// plugin in its own node process. Writes bench/results/latest.json and
// bench/results/latest.md and prints the table.
//
// LOOP section (BENCH_LOOP_N / --loop-n calls per figure): one OCR2 median
// round, interop/.bin/loop-host (Go, chainlink-common's public API) vs
// bench/loop-ts-host.ts (TS, src/loop), both driving chainlink-common
// v0.11.1's Go test plugin as relayer and median; BENCH_REPEAT runs each,
// interleaved; each figure is their median. Written as `loop` in latest.json
// and as a second table in latest.md.
//
// LOOP recovery (BENCH_RECOVERY_N / --recovery-n kills per host): SIGKILL of
// the relayer plugin → first successful GetChainStatus, median over the
// kills; interop/.bin/loop-host -recover N (chainlink-common's own
// RelayerService) vs bench/loop-ts-recovery.ts (src/loop's RelayerService,
// default supervision), same Go test plugin. Rows {"pair": "loop-recovery",
// "host": "go"|"ts", "recovery_ms": median} in latest.json's `rows`.
// `--only=recovery` (BENCH_ONLY=recovery) runs just this section and replaces
// its rows and table in the existing latest.json / latest.md.
//
// Start section (BENCH_PLUGIN_START_N / --plugin-start-n spawns per row,
// bench/start.ts): spawn → handshake of the Go plugin, the TS plugin on node,
// the TS plugin as one executable, and empty Node; `start` in latest.json, a
// table at the end of latest.md.
import { benchStart, startMarkdown } from "./start.js";
import { execFileSync } from "node:child_process";
import { cpus, arch, loadavg, release, totalmem, type } from "node:os";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBundles, goVersion, LOOP_GO_HOST, LOOP_PLUGIN, LOOP_TS_HOST, LOOP_TS_RECOVERY, pluginCommand, ROOT, runHost, Sandbox, type HostResult, type Side, type TsRuntime } from "./lib.js";

const PAIRS: Array<[Side, Side]> = [
  ["go", "go"],
  ["ts", "go"],
  ["go", "ts"],
  ["ts", "ts"],
];

/**
 * The TS runtimes every TS pair runs on: each node × each engine.
 * BENCH_NODES: comma list of `system` (the node running this script) and
 * majors installed by scripts/node-runtime.mjs (default `system,24`);
 * BENCH_ENGINES: comma list of `h2`, `grpc-js` (default both).
 */
function tsRuntimes(): TsRuntime[] {
  const list = (envName: string, flag: string, def: string) =>
    (process.argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3) ?? process.env[envName] ?? def).split(",").map((x) => x.trim()).filter(Boolean);
  const nodes = list("BENCH_NODES", "nodes", "system,24").map((n) => {
    if (n === "system") return process.execPath;
    if (!/^\d+$/.test(n)) throw new Error(`BENCH_NODES / --nodes: expected "system" or a Node major, got ${JSON.stringify(n)}`);
    return execFileSync(process.execPath, [join(ROOT, "scripts", "node-runtime.mjs"), n], { encoding: "utf8" }).trim();
  });
  const engines = list("BENCH_ENGINES", "engines", "h2,grpc-js").map((e) => {
    if (e !== "h2" && e !== "grpc-js") throw new Error(`BENCH_ENGINES / --engines: expected h2 or grpc-js, got ${JSON.stringify(e)}`);
    return e;
  });
  const out: TsRuntime[] = [];
  for (const node of [...new Set(nodes)]) {
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    for (const engine of engines) out.push({ node, version, engine });
  }
  return out;
}

/** One benchmarked combination: a pair, and the runtime of its TS side (none for go->go). */
interface Combo {
  pair: [Side, Side];
  rt?: TsRuntime;
}

const comboName = (c: Combo) => `${pairName(c.pair)}${c.rt ? ` ${c.rt.version} ${c.rt.engine}` : ""}`;
const SMALL = 16;
const LARGE = 1048576;

function setting(flag: string, envName: string, def: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${flag}=`));
  const raw = arg ? arg.slice(flag.length + 3) : process.env[envName];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${envName} / --${flag}: not a positive integer: ${raw}`);
  return n;
}

const quick = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");
const onlyRecovery = process.env.BENCH_ONLY === "recovery" || process.argv.includes("--only=recovery");
const config = {
  quick,
  n_small: setting("n-small", "BENCH_N_SMALL", quick ? 200 : 2000),
  n_large: setting("n-large", "BENCH_N_LARGE", quick ? 20 : 200),
  warmup: setting("warmup", "BENCH_WARMUP", quick ? 20 : 200),
  start_spawns: setting("start-n", "BENCH_START_N", quick ? 2 : 5),
  /** Bench runs per pair and payload (rounds interleaved); each figure is the median over them. */
  repeat: setting("repeat", "BENCH_REPEAT", quick ? 1 : 3),
  /** Timed calls per LOOP latency figure (Observation, ConfigDigestPrefix direct and proxied). */
  loop_n: setting("loop-n", "BENCH_LOOP_N", quick ? 100 : 500),
  /** SIGKILLs per host in the LOOP recovery figure (its median). */
  recovery_n: setting("recovery-n", "BENCH_RECOVERY_N", quick ? 3 : 10),
  /** Spawns per row of the plugin start section (bench/start.ts). */
  plugin_start_n: setting("plugin-start-n", "BENCH_PLUGIN_START_N", quick ? 5 : 30),
};

const pairName = ([h, p]: [Side, Side]) => `${h}->${p}`;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const round1 = (f: number) => Math.round(f * 10) / 10;
const round2 = (f: number) => Math.round(f * 100) / 100;
const log = (s: string) => process.stderr.write(s + "\n");

interface Row {
  pair: string;
  /** The TS side's node (`process.version`); null for go->go. */
  node: string | null;
  /** The TS side's gRPC engine; `grpc-go` for go->go. */
  engine: string;
  payload: number;
  p50_us: number | null;
  p99_us: number | null;
  calls_per_s_c1: number | null;
  calls_per_s_c64: number | null;
  mb_per_s: number | null;
  start_ms: number | null;
  broker_dial_us: number | null;
  mtls_start_extra_ms: number | null;
  ratio_p50_vs_go: number | null;
  // extras
  mean_us: number | null;
  start_ms_median: number | null;
  start_ms_mtls_median: number | null;
  ok: boolean;
  error: string;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  log(`bench: building TS bundles into bench/.build …`);
  buildBundles();
  const sandbox = new Sandbox();
  const notes: string[] = [];
  const failingLeaks: string[] = [];
  const goBrokerSockets: Record<string, number> = {};
  let goSocketRuns = 0;
  /**
   * After each host run: stray processes are always a failure. Socket files
   * are expected from the Go plugin only: go-plugin's AcceptAndServe keeps its
   * brokered listeners until the broker closes, and the plugin process exits
   * first, so those sockets are never unlinked (upstream behaviour; counted
   * and removed). Anything else left behind is a failure.
   */
  const afterRun = async (label: string, pluginSide: Side) => {
    const { processes, files } = await sandbox.check(label);
    failingLeaks.push(...processes.map((p) => `${label}: ${p} still running after the host exited`));
    const sockets = files.filter((f) => /^plugin\d+$/.test(f));
    if (pluginSide === "go" && sockets.length === files.length) {
      if (files.length) {
        goBrokerSockets[label] = (goBrokerSockets[label] ?? 0) + files.length;
        goSocketRuns++;
      }
    } else if (files.length) {
      failingLeaks.push(`${label}: left ${files.join(", ")} in TMPDIR`);
    }
  };
  const cleanup = () => sandbox.dispose();
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    log(`bench: ${JSON.stringify(config)}`);
    if (onlyRecovery) {
      const recovery = await benchRecovery(sandbox, failingLeaks, notes);
      mergeRecovery(recovery, [...notes, ...failingLeaks.map((l) => `LEAK: ${l}`)]);
      log(`bench: done in ${((Date.now() - t0) / 1000).toFixed(1)} s; replaced the loop-recovery rows in bench/results/latest.json and latest.md`);
      if (recovery.some((r) => !r.ok) || failingLeaks.length) process.exitCode = 1;
      return;
    }
    const runtimes = tsRuntimes();
    log(`bench: TS runtimes ${runtimes.map((r) => `${r.version} ${r.engine}`).join(", ")}`);
    const combos: Combo[] = PAIRS.flatMap((pair): Combo[] => (pair[0] === "go" && pair[1] === "go" ? [{ pair }] : runtimes.map((rt) => ({ pair, rt }))));
    // 1. Calls: every combination at 16 B, then at 1 MiB.
    const bench = new Map<string, HostResult>();
    const runs = new Map<string, HostResult[]>();
    for (let round = 0; round < config.repeat; round++) {
      for (const payload of [SMALL, LARGE]) {
        const n = payload === SMALL ? config.n_small : config.n_large;
        for (const combo of combos) {
          const { pair, rt } = combo;
          const label = `${comboName(combo)} ${fmtPayload(payload)}`;
          const s = Date.now();
          const r = await runHost(sandbox, pair[0], [
            "-cmd", pluginCommand(pair[1], [], rt),
            "-scenario", "bench",
            "-payload", String(payload),
            "-n", String(n),
            "-warmup", String(config.warmup),
          ], { rt });
          await afterRun(label, pair[1]);
          const key = `${comboName(combo)}/${payload}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
          log(
            `  ${config.repeat > 1 ? `[${round + 1}/${config.repeat}] ` : ""}${label.padEnd(34)} ${r.ok ? "ok " : "ERR"} ` +
              `p50 ${r.p50_us} µs, p99 ${r.p99_us} µs, c1 ${r.calls_per_s_c1}/s, ` +
              `c64 ${r.calls_per_s_c64}/s, start ${r.start_ms} ms, broker dial ${r.broker_dial_us} µs (${((Date.now() - s) / 1000).toFixed(1)} s)` +
              (r.ok ? "" : `\n    error: ${r.error}`),
          );
        }
      }
    }
    for (const [key, rs] of runs) bench.set(key, medianResult(rs));

    // 2. Start: median of N spawns, without and with AutoMTLS.
    const starts = new Map<string, { plain: HostResult; mtls: HostResult }>();
    for (const combo of combos) {
      const { pair, rt } = combo;
      const name = comboName(combo);
      // -raw-stderr (Go host only): keeps the plugin's stderr for error notes.
      const args = ["-cmd", pluginCommand(pair[1], [], rt), "-scenario", "bench-start", "-n", String(config.start_spawns)];
      if (pair[0] === "go") args.push("-raw-stderr");
      const plain = await runHost(sandbox, pair[0], args, { rt });
      await afterRun(`${name} bench-start`, pair[1]);
      const mtls = await runHost(sandbox, pair[0], [...args, "-automtls"], { rt });
      await afterRun(`${name} bench-start -automtls`, pair[1]);
      starts.set(name, { plain, mtls });
      log(
        `  ${name.padEnd(34)} start median ${plain.start_ms} ms${plain.ok ? "" : ` (ERR ${plain.error})`}, ` +
          `with AutoMTLS ${mtls.start_ms} ms${mtls.ok ? "" : ` (ERR ${summarize(mtls)})`}`,
      );
      if (!mtls.ok) notes.push(`${name}: AutoMTLS start failed, so mtls_start_extra_ms is null: ${summarize(mtls)}`);
      if (!plain.ok) notes.push(`${name}: bench-start failed: ${summarize(plain)}`);
    }

    // 3. Rows and ratios.
    const rows: Row[] = [];
    for (const payload of [SMALL, LARGE]) {
      for (const combo of combos) {
        const { pair, rt } = combo;
        const r = bench.get(`${comboName(combo)}/${payload}`)!;
        const st = starts.get(comboName(combo))!;
        const plainStart = st.plain.ok ? num(st.plain.start_ms) : null;
        const mtlsStart = st.mtls.ok ? num(st.mtls.start_ms) : null;
        if (r.error) notes.push(`${comboName(combo)} ${fmtPayload(payload)}: ${r.error}`);
        rows.push({
          pair: pairName(pair),
          node: rt ? rt.version : null,
          engine: rt ? rt.engine : "grpc-go",
          payload,
          p50_us: num(r.p50_us),
          p99_us: num(r.p99_us),
          calls_per_s_c1: num(r.calls_per_s_c1),
          calls_per_s_c64: num(r.calls_per_s_c64),
          mb_per_s: num(r.mb_per_s),
          start_ms: num(r.start_ms),
          broker_dial_us: num(r.broker_dial_us),
          mtls_start_extra_ms: plainStart !== null && mtlsStart !== null ? round1(mtlsStart - plainStart) : null,
          ratio_p50_vs_go: null,
          mean_us: num(r.mean_us),
          start_ms_median: plainStart,
          start_ms_mtls_median: mtlsStart,
          ok: r.ok,
          error: r.error,
        });
      }
    }
    for (const row of rows) {
      const go = rows.find((r) => r.pair === "go->go" && r.payload === row.payload)!;
      row.ratio_p50_vs_go = ratio(row.p50_us, go.p50_us);
    }
    // 4. LOOP: one median round per run, Go host and TS host interleaved.
    const loop = await benchLoop(sandbox, failingLeaks, notes, runtimes);
    // 5. LOOP recovery: SIGKILL → next successful GetChainStatus, Go host then TS host.
    const recovery = await benchRecovery(sandbox, failingLeaks, notes);
    // 6. Plugin start, spawn → handshake: Go, TS on node, TS as one executable, empty Node.
    log(`start: ${config.plugin_start_n} spawns per row`);
    const start = await benchStart({ n: config.plugin_start_n, log });

    notes.push(...failingLeaks.map((l) => `LEAK: ${l}`));
    const goSockets = Object.values(goBrokerSockets).reduce((a, b) => a + b, 0);
    if (goSockets) {
      notes.push(
        `the Go plugin (upstream go-plugin) left ${goSockets} brokered unix socket files over ${goSocketRuns} runs ` +
          `(AcceptAndServe listeners outlive the process); the bench ran every host with a private TMPDIR and removed them`,
      );
    }

    const result = {
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? "unknown",
        os: `${type()} ${release()}`,
        arch: arch(),
        total_mem_gb: round1(totalmem() / 2 ** 30),
        loadavg_at_end: loadavg().map(round2),
      },
      node: process.version,
      go: goVersion(),
      date: new Date().toISOString(),
      config: { ...config, ts_runtimes: runtimes.map((r) => ({ node: r.version, engine: r.engine })) },
      rows: [...rows, ...recovery],
      loop,
      start,
      leaks: { failing: failingLeaks, go_plugin_broker_sockets: goBrokerSockets },
      notes,
    };
    const dir = join(ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "latest.json"), JSON.stringify(result, null, 2) + "\n");
    const md = markdown(result, rows, notes) + sideBySideMarkdown(rows, runtimes) + loopMarkdown(loop, config) + recoveryMarkdown(recovery) + startMarkdown(start);
    writeFileSync(join(dir, "latest.md"), md);
    process.stdout.write("\n" + md);
    log(`bench: done in ${((Date.now() - t0) / 1000).toFixed(1)} s; wrote bench/results/latest.json and latest.md`);
    if (rows.some((r) => !r.ok) || !loop.go.ok || loop.ts.some((t) => !t.ok) || recovery.some((r) => !r.ok) || failingLeaks.length) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

/** Field-wise median of several bench results (only the ok ones, if any). */
function medianResult(rs: HostResult[]): HostResult {
  if (rs.length === 1) return rs[0]!;
  const ok = rs.filter((r) => r.ok);
  if (!ok.length) return rs[0]!;
  const out: HostResult = { ...ok[0]!, error: rs.filter((r) => !r.ok).map((r) => r.error).join("; ") };
  for (const k of ["start_ms", "p50_us", "p99_us", "mean_us", "calls_per_s_c1", "calls_per_s_c64", "mb_per_s", "broker_dial_us"]) {
    const xs = ok.map((r) => num(r[k])).filter((x): x is number => x !== null).sort((a, b) => a - b);
    out[k] = xs.length ? xs[Math.floor((xs.length - 1) / 2)]! : null;
  }
  return out;
}

/** First line of a host's error, plus the plugin's last stderr line when the Go host captured it. */
function summarize(r: HostResult): string {
  const first = r.error.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 2).join(" ");
  const raw = typeof r.raw_stderr === "string" ? r.raw_stderr : "";
  const errLine = raw.split("\n").reverse().find((l) => /error|fatal|panic/i.test(l));
  return errLine ? `${first} — plugin stderr: ${errLine.trim().slice(0, 300)}` : first;
}

function ratio(v: number | null, go: number | null): number | null {
  return v !== null && go !== null && go !== 0 ? round2(v / go) : null;
}

function fmtPayload(p: number): string {
  return p >= 1048576 && p % 1048576 === 0 ? `${p / 1048576} MiB` : `${p} B`;
}

function fmtNum(v: number | null): string {
  if (v === null) return "n/a";
  if (Math.abs(v) >= 10000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toFixed(3);
}

function cell(v: number | null, go: number | null, withRatio = true): string {
  const r = withRatio ? ratio(v, go) : null;
  return r === null ? fmtNum(v) : `${fmtNum(v)} (${r.toFixed(2)}×)`;
}

function markdown(result: { machine: Record<string, unknown>; node: string; go: string; date: string; config: typeof config }, rows: Row[], notes: string[]): string {
  const m = result.machine;
  const lines = [
    `# go-plugin gRPC benchmark: TypeScript vs Go`,
    ``,
    `${result.date} · ${m.cpus} × ${m.model} · ${m.os} · node ${result.node} · ${result.go}`,
    `calls: n=${result.config.n_small} at 16 B, n=${result.config.n_large} at 1 MiB, warmup ${result.config.warmup}` +
      `${result.config.repeat > 1 ? `, median of ${result.config.repeat} interleaved runs` : ""}; ` +
      `start: median of ${result.config.start_spawns} spawns${result.config.quick ? " · QUICK run" : ""}`,
    ``,
    `In parentheses: value ÷ go->go at the same payload (latencies and start: higher is worse; calls/s and MB/s: lower is worse).`,
    `start ms = spawn → first Echo OK in the bench run (one sample per run); start med = median of the bench-start spawns; ` +
      `mTLS extra = median start with AutoMTLS − without.`,
    ``,
    `| pair | TS node | TS engine | payload | p50 µs | p99 µs | c1 calls/s | c64 calls/s | MB/s | start ms | start med ms | broker dial µs | mTLS extra ms |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const r of rows) {
    const go = rows.find((g) => g.pair === "go->go" && g.payload === r.payload)!;
    const isGo = r.pair === "go->go";
    lines.push(
      `| ${r.pair} | ${r.node ?? "–"} | ${r.engine} | ${fmtPayload(r.payload)} | ${cell(r.p50_us, go.p50_us, !isGo)} | ${cell(r.p99_us, go.p99_us, !isGo)} | ` +
        `${cell(r.calls_per_s_c1, go.calls_per_s_c1, !isGo)} | ${cell(r.calls_per_s_c64, go.calls_per_s_c64, !isGo)} | ` +
        `${cell(r.mb_per_s, go.mb_per_s, !isGo)} | ${cell(r.start_ms, go.start_ms, !isGo)} | ${cell(r.start_ms_median, go.start_ms_median, !isGo)} | ` +
        `${cell(r.broker_dial_us, go.broker_dial_us, !isGo)} | ${cell(r.mtls_start_extra_ms, go.mtls_start_extra_ms, !isGo && (go.mtls_start_extra_ms ?? 0) > 0)} |`,
    );
  }
  if (notes.length) {
    lines.push(``, `Notes:`, ``);
    for (const n of notes) lines.push(`- ${n.replace(/\n/g, " ")}`);
  }
  return lines.join("\n") + "\n";
}


/** The headline figures with the TS runtimes as columns: node versions and engines side by side. */
function sideBySideMarkdown(rows: Row[], runtimes: TsRuntime[]): string {
  const figures: Array<[label: string, payload: number, key: "p50_us" | "p99_us" | "calls_per_s_c64" | "mb_per_s"]> = [
    ["16 B p50 µs", SMALL, "p50_us"],
    ["16 B p99 µs", SMALL, "p99_us"],
    ["16 B calls/s, 64 in flight", SMALL, "calls_per_s_c64"],
    ["1 MiB MB/s", LARGE, "mb_per_s"],
  ];
  const lines = [
    ``,
    `## Side by side: each TS runtime (node × engine)`,
    ``,
    `In parentheses: ÷ go->go in the same run (p50/p99: lower is better; calls/s, MB/s: higher is better).`,
    ``,
    `| figure | pair | go->go | ${runtimes.map((r) => `${r.version} ${r.engine}`).join(" | ")} |`,
    `|---|---|---|${runtimes.map(() => "---").join("|")}|`,
  ];
  for (const [label, payload, key] of figures) {
    const go = rows.find((r) => r.pair === "go->go" && r.payload === payload);
    for (const pair of PAIRS.slice(1)) {
      const cells = runtimes.map((rt) => {
        const r = rows.find((x) => x.pair === pairName(pair) && x.payload === payload && x.node === rt.version && x.engine === rt.engine);
        return r ? cell(r[key], go?.[key] ?? null) : "n/a";
      });
      lines.push(`| ${label} | ${pairName(pair)} | ${fmtNum(go?.[key] ?? null)} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// LOOP: median round, Go host vs TS host

const LOOP_FIELDS = [
  "start_to_first_report_ms",
  "observation_p50_us",
  "observation_mean_us",
  "observation_p99_us",
  "digest_prefix_p50_us",
  "digest_prefix_mean_us",
  "digest_prefix_p99_us",
  "proxied_prefix_p50_us",
  "proxied_prefix_mean_us",
  "proxied_prefix_p99_us",
  "close_ms",
] as const;
type LoopField = (typeof LOOP_FIELDS)[number];

type LoopRow = Record<LoopField, number | null> & {
  ok: boolean;
  error: string;
  runs: number;
  /** Per-run start → first report, in run order. */
  start_to_first_report_ms_runs: Array<number | null>;
  /** TS only: proxied − direct ConfigDigestPrefix p50 (µs), the cost of the host's proxy hop. */
  proxy_hop_overhead_p50_us?: number | null;
};

type TsLoopRow = LoopRow & {
  node: string;
  engine: string;
  ratio_vs_go: { start_to_first_report_ms: number | null; observation_p50_us: number | null; digest_prefix_p50_us: number | null };
  leftover_plugin_sockets: number;
};

interface LoopResult {
  n: number;
  repeat: number;
  plugin: string;
  go: LoopRow & { leftover_plugin_sockets: number };
  /** One row per TS runtime (node × engine). */
  ts: TsLoopRow[];
}

async function benchLoop(sandbox: Sandbox, failingLeaks: string[], notes: string[], runtimes: TsRuntime[]): Promise<LoopResult> {
  log(`bench: LOOP median round, n=${config.loop_n} per figure, ${config.repeat} run(s) per host`);
  const hosts: Array<TsRuntime | undefined> = [undefined, ...runtimes];
  const hostName = (rt: TsRuntime | undefined) => (rt ? `ts ${rt.version} ${rt.engine}` : "go");
  const runs = new Map<TsRuntime | undefined, HostResult[]>(hosts.map((h) => [h, []]));
  const sockets = new Map<TsRuntime | undefined, number>(hosts.map((h) => [h, 0]));
  for (let round = 0; round < config.repeat; round++) {
    for (const rt of hosts) {
      const side: Side = rt ? "ts" : "go";
      const label = `LOOP ${hostName(rt)} host`;
      const s = Date.now();
      const args = ["-bench", String(config.loop_n), "-plugin", LOOP_PLUGIN];
      const r = await runHost(sandbox, side, args, rt ? { hostScript: LOOP_TS_HOST, rt } : { goHost: LOOP_GO_HOST });
      // Both hosts keep every socket in a private directory under TMPDIR and
      // remove it, so anything left there (or any live process) is a leak.
      const { processes, files } = await sandbox.check(label);
      failingLeaks.push(...processes.map((p) => `${label}: ${p} still running after the host exited`));
      if (files.length) failingLeaks.push(`${label}: left ${files.join(", ")} in TMPDIR`);
      sockets.set(rt, sockets.get(rt)! + (num(r.leftover_plugin_sockets) ?? 0));
      runs.get(rt)!.push(r);
      log(
        `  ${config.repeat > 1 ? `[${round + 1}/${config.repeat}] ` : ""}${label.padEnd(30)} ${r.ok ? "ok " : "ERR"} ` +
          `start→report ${r.start_to_first_report_ms} ms, Observation p50 ${r.observation_p50_us} µs, ` +
          `ConfigDigestPrefix p50 ${r.digest_prefix_p50_us} µs` +
          (rt ? `, via proxy ${r.proxied_prefix_p50_us} µs` : "") +
          ` (${((Date.now() - s) / 1000).toFixed(1)} s)` +
          (r.ok ? "" : `\n    error: ${String(r.error).slice(0, 500)}`),
      );
    }
  }
  const row = (rs: HostResult[]): LoopRow => {
    const ok = rs.filter((r) => r.ok);
    const use = ok.length ? ok : rs;
    const out = {
      ok: rs.length > 0 && ok.length === rs.length,
      error: rs.filter((r) => !r.ok).map((r) => String(r.error)).join("; "),
      runs: rs.length,
      start_to_first_report_ms_runs: rs.map((r) => num(r.start_to_first_report_ms)),
    } as LoopRow;
    for (const k of LOOP_FIELDS) {
      const xs = use.map((r) => num(r[k])).filter((x): x is number => x !== null).sort((a, b) => a - b);
      out[k] = xs.length ? xs[Math.floor((xs.length - 1) / 2)]! : null;
    }
    return out;
  };
  const go = { ...row(runs.get(undefined)!), leftover_plugin_sockets: sockets.get(undefined)! };
  const ts = runtimes.map((rt): TsLoopRow => {
    const t = row(runs.get(rt)!);
    t.proxy_hop_overhead_p50_us =
      t.proxied_prefix_p50_us !== null && t.digest_prefix_p50_us !== null ? round1(t.proxied_prefix_p50_us - t.digest_prefix_p50_us) : null;
    return {
      ...t,
      node: rt.version,
      engine: rt.engine,
      ratio_vs_go: {
        start_to_first_report_ms: ratio(t.start_to_first_report_ms, go.start_to_first_report_ms),
        observation_p50_us: ratio(t.observation_p50_us, go.observation_p50_us),
        digest_prefix_p50_us: ratio(t.digest_prefix_p50_us, go.digest_prefix_p50_us),
      },
      leftover_plugin_sockets: sockets.get(rt)!,
    };
  });
  if (go.error) notes.push(`LOOP go host: ${go.error.replace(/\s+/g, " ").slice(0, 500)}`);
  for (const t of ts) if (t.error) notes.push(`LOOP ts ${t.node} ${t.engine} host: ${t.error.replace(/\s+/g, " ").slice(0, 500)}`);
  return {
    n: config.loop_n,
    repeat: config.repeat,
    plugin: "chainlink-common v0.11.1 pkg/loop/internal/test/cmd (interop/.bin/loop-test-plugin), as relayer and as median",
    go,
    ts,
  };
}

function loopMarkdown(l: LoopResult, c: typeof config): string {
  const { go } = l;
  const lines = [
    ``,
    `## LOOP: one OCR2 median round, TS host vs Go host`,
    ``,
    `Both hosts drive chainlink-common v0.11.1's Go test plugin as relayer and as median (Go host: interop/.bin/loop-host on ` +
      `chainlink-common's public API; TS host: bench/loop-ts-host.ts on src/loop, once per TS node and engine). n=${l.n} timed calls per latency figure` +
      `${l.repeat > 1 ? `, median of ${l.repeat} interleaved runs per host` : ""}${c.quick ? " · QUICK run" : ""}. ` +
      `In parentheses: TS ÷ Go (target for Observation p50 ≤ 1.20×).`,
    ``,
    `| host | node | engine | start → first report ms | Observation p50 µs | Observation mean µs | Observation p99 µs | ConfigDigestPrefix p50 µs | ConfigDigestPrefix p99 µs | ConfigDigestPrefix via proxy hop p50 µs | via proxy hop p99 µs |`,
    `|---|---|---|---|---|---|---|---|---|---|---|`,
    `| go | – | grpc-go | ${fmtNum(go.start_to_first_report_ms)} | ${fmtNum(go.observation_p50_us)} | ${fmtNum(go.observation_mean_us)} | ${fmtNum(go.observation_p99_us)} | ` +
      `${fmtNum(go.digest_prefix_p50_us)} | ${fmtNum(go.digest_prefix_p99_us)} | n/a | n/a |`,
    ...l.ts.map(
      (ts) =>
        `| ts | ${ts.node} | ${ts.engine} | ${cell(ts.start_to_first_report_ms, go.start_to_first_report_ms)} | ${cell(ts.observation_p50_us, go.observation_p50_us)} | ` +
        `${cell(ts.observation_mean_us, go.observation_mean_us)} | ${cell(ts.observation_p99_us, go.observation_p99_us)} | ` +
        `${cell(ts.digest_prefix_p50_us, go.digest_prefix_p50_us)} | ${cell(ts.digest_prefix_p99_us, go.digest_prefix_p99_us)} | ` +
        `${fmtNum(ts.proxied_prefix_p50_us)} | ${fmtNum(ts.proxied_prefix_p99_us)} |`,
    ),
    ``,
    `- start → first report: from before the relayer service's Start to the first Report returned: launch of both plugins, ` +
      `NewRelayer, NewPluginProvider, the host's own provider checks, NewMedianFactory, NewReportingPlugin, Query, Observation, Report. ` +
      `The TS host makes the same 17 provider check calls as the Go host except ContractReader.GetLatestValue ` +
      `(16; one sub-millisecond round trip fewer).`,
    `- Observation: host → median plugin. ConfigDigestPrefix: host → relayer's provider connection, direct.`,
    `- Via proxy hop: the same ConfigDigestPrefix call through the host's transparent proxy (registerProxy on a server on a ` +
      `unix socket, the path every provider call of the median plugin takes). TS only: the Go host has no host-side measurement ` +
      `of that hop, so there is no Go figure or ratio for it. Proxy hop overhead (p50, over the direct call): ` +
      l.ts.map((ts) => `${ts.node} ${ts.engine} ${ts.proxy_hop_overhead_p50_us == null ? "n/a" : `${fmtNum(ts.proxy_hop_overhead_p50_us)} µs`}`).join(", ") +
      `.`,
    `- Plugin socket files left in each host's private socket directory (removed by the host): ` +
      `Go ${go.leftover_plugin_sockets}, TS ${l.ts.map((ts) => ts.leftover_plugin_sockets).join("/")} over ${l.repeat} run(s) each ` +
      `(the Go host SIGKILLs plugins on Close, so they cannot unlink their sockets).`,
  ];
  const failed = [go.ok ? "" : `go: ${go.error}`, ...l.ts.map((ts) => (ts.ok ? "" : `ts ${ts.node} ${ts.engine}: ${ts.error}`))].filter(Boolean);
  if (failed.length) lines.push(`- FAILED: ${failed.join("; ").slice(0, 800)}`);
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// LOOP recovery: SIGKILL → first successful GetChainStatus, Go host vs TS host

interface RecoveryRow {
  pair: "loop-recovery";
  host: Side;
  /** Median over the kills, ms. */
  recovery_ms: number | null;
  recovery_ms_runs: number[];
  ratio_vs_go: number | null;
  ok: boolean;
  error: string;
}

async function benchRecovery(sandbox: Sandbox, failingLeaks: string[], notes: string[]): Promise<RecoveryRow[]> {
  log(`bench: LOOP recovery, ${config.recovery_n} SIGKILLs per host`);
  const out: RecoveryRow[] = [];
  for (const host of ["go", "ts"] as const) {
    const label = `LOOP recovery ${host} host`;
    const s = Date.now();
    const args = ["-recover", String(config.recovery_n), "-plugin", LOOP_PLUGIN];
    const r = await runHost(sandbox, host, args, { timeoutMs: 600_000, ...(host === "go" ? { goHost: LOOP_GO_HOST } : { hostScript: LOOP_TS_RECOVERY }) });
    const { processes, files } = await sandbox.check(label);
    failingLeaks.push(...processes.map((p) => `${label}: ${p} still running after the host exited`));
    const sockets = files.filter((f) => /^plugin\d+$/.test(f));
    if (host === "go" && sockets.length === files.length) {
      // Both hosts keep the plugin's own sockets in a private directory they remove; what is left in
      // TMPDIR are the Go host's brokered listeners (go-plugin's host side), upstream behaviour: counted, removed.
      if (files.length) notes.push(`${label}: chainlink-common's Go host left ${files.length} brokered listener socket files (plugin*) in TMPDIR over ${config.recovery_n} recoveries (its own, not the plugin's; removed by the bench)`);
    } else if (files.length) failingLeaks.push(`${label}: left ${files.join(", ")} in TMPDIR`);
    const runs = Array.isArray(r.recovery_ms) ? (r.recovery_ms as unknown[]).map(num).filter((x): x is number => x !== null) : [];
    const sorted = [...runs].sort((a, b) => a - b);
    const median = sorted.length ? round1(sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2) : null;
    const ok = r.ok && runs.length === config.recovery_n;
    out.push({ pair: "loop-recovery", host, recovery_ms: median, recovery_ms_runs: runs, ratio_vs_go: null, ok, error: ok ? "" : String(r.error || `${runs.length} of ${config.recovery_n} recoveries`) });
    log(`  ${label.padEnd(22)} ${ok ? "ok " : "ERR"} median ${median} ms over ${runs.length} (${runs.join(", ")}) (${((Date.now() - s) / 1000).toFixed(1)} s)`);
    if (!ok) notes.push(`${label}: ${out[out.length - 1]!.error.slice(0, 500)}`);
  }
  const go = out.find((r) => r.host === "go")!;
  for (const r of out) r.ratio_vs_go = ratio(r.recovery_ms, go.recovery_ms);
  return out;
}

/** Replaces the loop-recovery rows and table of an earlier full run (or writes them alone if there is none). */
function mergeRecovery(recovery: RecoveryRow[], notes: string[]): void {
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, "latest.json");
  const mdPath = join(dir, "latest.md");
  const prev = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, "utf8")) as Record<string, unknown>) : {};
  const rows = Array.isArray(prev.rows) ? (prev.rows as Array<{ pair?: string }>).filter((r) => r.pair !== "loop-recovery") : [];
  const measured = { date: new Date().toISOString(), node: process.version, go: goVersion(), loadavg_at_end: loadavg().map(round2), config: { recovery_n: config.recovery_n }, notes };
  writeFileSync(jsonPath, JSON.stringify({ ...prev, rows: [...rows, ...recovery], recovery_measured: measured }, null, 2) + "\n");
  const md = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "";
  const head = md.split("\n## LOOP recovery:")[0]!.replace(/\n+$/, "\n");
  writeFileSync(mdPath, head + recoveryMarkdown(recovery) + `\nRecovery measured ${measured.date} (node ${measured.node}, load ${measured.loadavg_at_end.join(" ")}).\n`);
}

function recoveryMarkdown(rows: RecoveryRow[]): string {
  const go = rows.find((r) => r.host === "go");
  const lines = [
    ``,
    `## LOOP recovery: SIGKILL of the relayer plugin → first successful GetChainStatus`,
    ``,
    `Median of ${config.recovery_n} kills per host, chainlink-common v0.11.1's Go test plugin as relayer. Go host: ` +
      `interop/.bin/loop-host -recover (chainlink-common's RelayerService: the 5 s keepAlive tick relaunches, the relayer's ` +
      `clientConn re-runs NewRelayer and retries). TS host: bench/loop-ts-recovery.ts (src/loop's RelayerService with default ` +
      `supervision: the exit event relaunches at once; each kill follows the 10 s healthy period, so no backoff). ` +
      `Target: TS ≤ 500 ms and ≤ 0.5× Go.`,
    ``,
    `| host | recovery ms (median) | each kill, ms |`,
    `|---|---|---|`,
    ...rows.map((r) => `| ${r.host} | ${r.host === "go" ? fmtNum(r.recovery_ms) : cell(r.recovery_ms, go?.recovery_ms ?? null)} | ${r.recovery_ms_runs.join(", ")} |`),
  ];
  for (const r of rows) if (!r.ok) lines.push(`- FAILED (${r.host}): ${r.error.slice(0, 500)}`);
  return lines.join("\n") + "\n";
}

await main();
