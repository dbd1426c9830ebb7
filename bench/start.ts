// Plugin start time, spawn → handshake line, in one run: the Go test plugin,
// the TS test plugin as today (node + an esbuild bundle that loads its packages
// from node_modules), the same plugin as one executable (`go-plugin-ts build`:
// the embedded Node's SEA, h2 engine without grpc-js, with a V8 startup
// snapshot; the same built with code cache instead of the snapshot, and built
// on Node 26, the newer Current line), and Node's own start (a script that
// prints one line) as the floor, for the machine's node and the embedded ones.
//
// Each command runs with only go-plugin's variables in its environment (like
// a LOOP plugin under chainlink's host); spawns are interleaved round-robin
// after warm-up spawns, so a load spike hits every row alike. Besides the wall
// figures each spawn's CPU time until the handshake is read from /proc (10 ms
// ticks, so only its mean means much), which varies less on a loaded machine.
//
//   tsx bench/start.ts [--n=N]     (also run by bench/run.ts as the `start` section;
//                                  standalone it writes bench/results/start.json and start.md)
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pluginExecutable } from "../test/executables.js";
import { EMBED_NODE_MAJOR, pinnedNode } from "../src/cli/build.js";
import { buildBundles, GO_PLUGIN, ROOT, Sandbox, TS_PLUGIN } from "./lib.js";

export interface StartRow {
  name: string;
  what: string;
  /** Spawn → first stdout line, ms. */
  median_ms: number;
  p10_ms: number;
  p90_ms: number;
  min_ms: number;
  /** Mean CPU (user + system) of the process until that line, ms. */
  cpu_mean_ms: number;
}

export interface StartResult {
  n: number;
  warmup: number;
  node: string;
  /** The node embedded in the executables (its path). */
  embedded: string;
  /** 1-minute load average of the machine before and after the spawns (a shared machine: say it). */
  load: [number, number];
  rows: StartRow[];
}

const CLK_TCK = 100;

function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** One spawn: ms to the first stdout line and CPU ms used by then; the process is then stopped. */
function once(argv: string[], env: Record<string, string>): Promise<{ ms: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let got: { ms: number; cpu: number } | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      if (!got && out.includes("\n")) {
        got = { ms: performance.now() - t0, cpu: cpuMs(child.pid!) };
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      if (got) resolve(got);
      else reject(new Error(`${argv.join(" ")}: no line on stdout\n${err.slice(-2000)}`));
    });
  });
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const r1 = (v: number) => Math.round(v * 10) / 10;

export async function benchStart(opts: { n: number; warmup?: number; log?: (s: string) => void }): Promise<StartResult> {
  const log = opts.log ?? (() => {});
  const warmup = opts.warmup ?? 2;
  buildBundles();
  const embedded = pinnedNode();
  const major = `Node ${EMBED_NODE_MAJOR}`;
  const tag = `node${EMBED_NODE_MAJOR}`;
  log("start: building (or reusing) the TS plugin executable");
  const exe = (await pluginExecutable("ts-plugin", "test/fixtures/ts-plugin.ts")).path;
  const exeCodeCache = (await pluginExecutable("ts-plugin-code-cache", "test/fixtures/ts-plugin.ts", { snapshot: false })).path;
  const node26 = execFileSync(process.execPath, [join(ROOT, "scripts", "node-runtime.mjs"), "26"], { encoding: "utf8" }).trim();
  const exe26 = (await pluginExecutable("ts-plugin-node26", "test/fixtures/ts-plugin.ts", { node: node26 })).path;
  const line = ["-e", "process.stdout.write('ready\\n')"];
  const rows: Array<{ name: string; what: string; argv: string[] }> = [
    { name: "go", what: "Go test plugin (interop/.bin/goplugin-test)", argv: [GO_PLUGIN] },
    { name: "ts-node-bundle", what: `TS test plugin: node ${process.version} + ESM bundle, packages from node_modules`, argv: [process.execPath, TS_PLUGIN] },
    { name: `ts-${tag}-bundle`, what: `the same bundle on the embedded ${major}`, argv: [embedded, TS_PLUGIN] },
    { name: "ts-executable", what: `TS test plugin as one executable (go-plugin-ts build: ${major} SEA, h2 engine, startup snapshot)`, argv: [exe] },
    { name: "ts-executable-code-cache", what: `the same built with --no-snapshot (${major} SEA, h2 engine, code cache)`, argv: [exeCodeCache] },
    { name: "ts-executable-node26", what: "the same snapshot build embedding Node 26 (`--node`; the Current line, not LTS)", argv: [exe26] },
    { name: "node-empty", what: `node ${process.version} printing one line (the floor of the bundle rows)`, argv: [process.execPath, ...line] },
    { name: `${tag}-empty`, what: `${major} printing one line (the floor of the executable)`, argv: [embedded, ...line] },
    { name: "node26-empty", what: "Node 26 printing one line (the floor of the Node 26 executable)", argv: [node26, ...line] },
  ];
  const sandbox = new Sandbox();
  const env = (row: string) => ({
    TEST_MAGIC_COOKIE: "test",
    PLUGIN_PROTOCOL_VERSIONS: "1",
    PLUGIN_MIN_PORT: "10000",
    PLUGIN_MAX_PORT: "25000",
    PLUGIN_UNIX_SOCKET_DIR: join(sandbox.tmp, row),
    GOPLUGIN_BENCH_RUN: sandbox.marker,
  });
  for (const row of rows) mkdirSync(join(sandbox.tmp, row.name));
  const loadBefore = loadavg()[0]!;
  const samples = rows.map(() => ({ ms: [] as number[], cpu: [] as number[] }));
  try {
    for (let i = 0; i < warmup + opts.n; i++) {
      for (const [k, row] of rows.entries()) {
        const s = await once(row.argv, env(row.name));
        // A Go plugin leaves its socket when SIGTERM kills it (Go's default); a TS plugin must not.
        const dir = join(sandbox.tmp, row.name);
        if (row.name === "go") for (const f of readdirSync(dir)) rmSync(join(dir, f));
        if (i >= warmup) {
          samples[k]!.ms.push(s.ms);
          samples[k]!.cpu.push(s.cpu);
        }
      }
    }
    const leftFiles = rows.flatMap((row) => readdirSync(join(sandbox.tmp, row.name)).map((f) => `${row.name}/${f}`));
    const left = await sandbox.check("start");
    if (left.processes.length || leftFiles.length) {
      throw new Error(`start bench: left behind ${[...left.processes, ...leftFiles].join(", ")}`);
    }
  } finally {
    sandbox.dispose();
  }
  const result: StartResult = {
    n: opts.n,
    warmup,
    node: process.version,
    embedded,
    load: [r1(loadBefore), r1(loadavg()[0]!)],
    rows: rows.map((row, k) => {
      const ms = [...samples[k]!.ms].sort((a, b) => a - b);
      const cpu = samples[k]!.cpu.filter(Number.isFinite);
      return {
        name: row.name,
        what: row.what,
        median_ms: r1(q(ms, 0.5)),
        p10_ms: r1(q(ms, 0.1)),
        p90_ms: r1(q(ms, 0.9)),
        min_ms: r1(ms[0]!),
        cpu_mean_ms: r1(cpu.reduce((a, b) => a + b, 0) / Math.max(1, cpu.length)),
      };
    }),
  };
  for (const r of result.rows) log(`  ${r.name.padEnd(24)} start median ${r.median_ms} ms (p10 ${r.p10_ms}, p90 ${r.p90_ms}), cpu ${r.cpu_mean_ms} ms`);
  return result;
}

export function startMarkdown(s: StartResult): string {
  return [
    ``,
    `Plugin start, spawn → handshake line (\`start_ms\`), ${s.n} interleaved spawns per row after ${s.warmup} warm-up rounds, ` +
      `environment: go-plugin's variables only. cpu = mean user+system CPU of the process until that line (10 ms ticks). ` +
      `1-minute load average ${s.load[0]} before, ${s.load[1]} after.`,
    ``,
    `| row | what | start_ms median | p10 | p90 | min | cpu ms |`,
    `|---|---|---|---|---|---|---|`,
    ...s.rows.map((r) => `| ${r.name} | ${r.what} | ${r.median_ms} | ${r.p10_ms} | ${r.p90_ms} | ${r.min_ms} | ${r.cpu_mean_ms} |`),
    ``,
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === join(process.argv[1])) {
  const n = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? 30);
  const result = await benchStart({ n, log: (s) => process.stderr.write(s + "\n") });
  const md = startMarkdown(result);
  const dir = join(fileURLToPath(import.meta.url), "..", "results");
  writeFileSync(join(dir, "start.json"), JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + "\n");
  writeFileSync(join(dir, "start.md"), `# Plugin start (bench/start.ts), ${new Date().toISOString()}\n${md}`);
  process.stdout.write(md);
}
