// A/B test of candidate fixes to src/rpc without touching src/: copies src/,
// bench/ts-host.ts and test/fixtures/ into bench/.build/exp/<variant>/,
// applies the variant's patches to the copy, bundles host and plugin from it
// and runs ts->ts (and the one-TS-side pairs) at 16 B, rounds interleaved.
//
//   npx tsx bench/experiment.ts         ROUNDS=5 N=3000
//
// Patches are exact string replacements; if src/ has changed so that one no
// longer applies, the script says so and stops. Writes
// bench/results/experiment.md.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BUILD, GO_PLUGIN, ROOT, runHost, Sandbox, type HostResult } from "./lib.js";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const N = Number(process.env.N ?? 3000);

interface Patch {
  file: string;
  from: string;
  to: string;
}

/** Server: no AbortController / RpcError per call unless a handler asks for ctx.signal or the call is really cancelled. */
const serverLazyContext: Patch[] = [
  {
    file: "src/rpc/server.ts",
    from: `function contextOf(call: SurfaceCall): HandlerContext {
  const ac = new AbortController();
  (call as grpc.ServerUnaryCall<unknown, unknown>).once("cancelled", () =>
    ac.abort(new RpcError(Code.CANCELLED, "call cancelled")),
  );
  return { metadata: call.metadata, signal: ac.signal, peer: call.getPeer() };
}`,
    to: `function contextOf(call: SurfaceCall): HandlerContext & { finish(): void } {
  let ac: AbortController | undefined;
  let state = 0; // 0 running, 1 cancelled, 2 finished
  const reason = () => new RpcError(Code.CANCELLED, "call cancelled");
  // grpc-js emits "cancelled" when the stream closes, also after a normal end.
  (call as grpc.ServerUnaryCall<unknown, unknown>).once("cancelled", () => {
    if (state !== 0) return;
    state = 1;
    ac?.abort(reason());
  });
  return {
    metadata: call.metadata,
    get signal() {
      if (!ac) {
        ac = new AbortController();
        if (state === 1) ac.abort(reason());
      }
      return ac.signal;
    },
    get peer() {
      return call.getPeer();
    },
    finish() {
      if (state === 0) state = 2;
    },
  };
}`,
  },
  {
    file: "src/rpc/server.ts",
    from: `        let result: unknown;
        try {
          result = fn(call.request, contextOf(call));
        } catch (err) {
          return cb(toStatus(err));
        }
        Promise.resolve(result).then(
          (res) => cb(null, res),
          (err) => cb(toStatus(err)),
        );`,
    to: `        let result: unknown;
        const ctx = contextOf(call);
        try {
          result = fn(call.request, ctx);
        } catch (err) {
          ctx.finish();
          return cb(toStatus(err));
        }
        if (typeof (result as PromiseLike<unknown> | undefined)?.then !== "function") {
          ctx.finish();
          return cb(null, result);
        }
        (result as PromiseLike<unknown>).then(
          (res) => {
            ctx.finish();
            cb(null, res);
          },
          (err) => {
            ctx.finish();
            cb(toStatus(err));
          },
        );`,
  },
];

/** Client: grpc-js captures `new Error()` per call for error stacks; skip the capture. */
const clientNoCallerStack: Patch[] = [
  {
    file: "src/rpc/client.ts",
    from: `        new Promise((resolve, reject) => {
          const call = channel.makeUnaryRequest(
            path, ser, de, req, opts?.metadata ?? new grpc.Metadata(), callOptions(opts),
            (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
          );`,
    to: `        new Promise((resolve, reject) => {
          const limit = Error.stackTraceLimit;
          Error.stackTraceLimit = 0;
          let call: grpc.ClientUnaryCall;
          try {
            call = channel.makeUnaryRequest(
              path, ser, de, req, opts?.metadata ?? new grpc.Metadata(), callOptions(opts),
              (err, res) => (err ? reject(RpcError.from(err)) : resolve(res)),
            );
          } finally {
            Error.stackTraceLimit = limit;
          }`,
  },
];

/** grpc-js options: no channelz bookkeeping (client and servers), no retry machinery on channels. */
const grpcOptions: Patch[] = [
  {
    file: "src/rpc/transport.ts",
    from: `    "grpc.max_receive_message_length": MAX_INT32,
    ...(opts.credentials`,
    to: `    "grpc.max_receive_message_length": MAX_INT32,
    "grpc.enable_channelz": 0,
    "grpc.enable_retries": 0,
    ...(opts.credentials`,
  },
  {
    file: "src/goplugin/serve.ts",
    from: `    "grpc.max_send_message_length": config.maxSendMsgSize ?? MAX_INT32,
    ...config.serverOptions,`,
    to: `    "grpc.max_send_message_length": config.maxSendMsgSize ?? MAX_INT32,
    "grpc.enable_channelz": 0,
    ...config.serverOptions,`,
  },
  {
    file: "src/broker/broker.ts",
    from: `      "grpc.max_send_message_length": MAX_INT32,
      ...this.opts.serverOptions,`,
    to: `      "grpc.max_send_message_length": MAX_INT32,
      "grpc.enable_channelz": 0,
      ...this.opts.serverOptions,`,
  },
];

const VARIANTS: Record<string, Patch[]> = {
  baseline: [],
  "server-lazy-ctx": serverLazyContext,
  "client-no-stack": clientNoCallerStack,
  "grpc-opts": grpcOptions,
  all: [...serverLazyContext, ...clientNoCallerStack, ...grpcOptions],
};

function prepare(name: string, patches: Patch[]): { host: string; plugin: string } {
  const dir = join(BUILD, "exp", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "bench"), { recursive: true });
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  cpSync(join(ROOT, "test", "fixtures"), join(dir, "test", "fixtures"), { recursive: true });
  cpSync(join(ROOT, "bench", "ts-host.ts"), join(dir, "bench", "ts-host.ts"));
  for (const p of patches) {
    const f = join(dir, p.file);
    const s = readFileSync(f, "utf8");
    if (!s.includes(p.from)) throw new Error(`variant ${name}: patch no longer applies to ${p.file} (src changed?)`);
    writeFileSync(f, s.replace(p.from, p.to));
  }
  const esbuild = join(ROOT, "node_modules", ".bin", "esbuild");
  const out = { host: join(dir, "ts-host.mjs"), plugin: join(dir, "ts-plugin.mjs") };
  for (const [entry, o] of [["bench/ts-host.ts", out.host], ["test/fixtures/ts-plugin.ts", out.plugin]]) {
    execFileSync(esbuild, [entry!, "--bundle", "--platform=node", "--format=esm", "--target=node20", `--outfile=${o}`, "--packages=external", "--log-level=warning"], { cwd: dir, stdio: "inherit" });
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

const built = Object.fromEntries(Object.entries(VARIANTS).map(([k, v]) => [k, prepare(k, v)]));
process.env.BENCH_CPU = "1"; // ts-host reports host and plugin CPU µs per sequential call
const sandbox = new Sandbox();
const results: Record<string, Record<string, HostResult[]>> = {};
try {
  const args = ["-scenario", "bench", "-payload", "16", "-n", String(N), "-warmup", "500"];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the variant order each round so that drifts in machine load do not favour one.
    const entries = Object.entries(built);
    const order = [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)];
    for (const [name, b] of order) {
      const runs: Array<[string, () => Promise<HostResult>]> = [
        ["ts->ts", () => runHost(sandbox, "ts", ["-cmd", `node ${b.plugin}`, ...args], { hostScript: b.host })],
        ["ts->go", () => runHost(sandbox, "ts", ["-cmd", GO_PLUGIN, ...args], { hostScript: b.host })],
        ["go->ts", () => runHost(sandbox, "go", ["-cmd", `node ${b.plugin}`, ...args])],
      ];
      for (const [pair, run] of runs) {
        const r = await run();
        await sandbox.check(`${name} ${pair}`);
        if (!r.ok) throw new Error(`${name} ${pair}: ${r.error}`);
        ((results[name] ??= {})[pair] ??= []).push(r);
        process.stderr.write(
          `round ${round + 1} ${name.padEnd(16)} ${pair}: p50 ${r.p50_us} µs, c1 ${r.calls_per_s_c1}/s, c64 ${r.calls_per_s_c64}/s` +
            (r.host_cpu_us_per_call !== undefined ? `, CPU/call host ${r.host_cpu_us_per_call} µs plugin ${r.plugin_cpu_us_per_call} µs` : "") + "\n",
        );
      }
    }
  }
} finally {
  sandbox.dispose();
}

const pairs = ["ts->ts", "ts->go", "go->ts"];
const lines = [
  `# A/B of candidate src/rpc fixes (bench/experiment.ts)`,
  ``,
  `${new Date().toISOString()} · 16 B Echo · n=${N} after 500 warmup · ${ROUNDS} interleaved rounds · medians of the rounds`,
  ``,
  `| variant | ${pairs.map((p) => `${p} p50 µs | ${p} c1/s | ${p} c64/s`).join(" | ")} |`,
  `|---|${pairs.map(() => "---|---|---").join("|")}|`,
];
const base = results.baseline!;
for (const name of Object.keys(VARIANTS)) {
  const cells = pairs.flatMap((p) => {
    const rs = results[name]![p]!;
    const m = (k: string) => median(rs.map((r) => r[k] as number));
    const b = (k: string) => median(base[p]!.map((r) => r[k] as number));
    const d = (k: string) => (name === "baseline" ? "" : ` (${(((m(k) - b(k)) / b(k)) * 100).toFixed(0)}%)`);
    return [`${m("p50_us").toFixed(0)}${d("p50_us")}`, `${m("calls_per_s_c1").toFixed(0)}${d("calls_per_s_c1")}`, `${m("calls_per_s_c64").toFixed(0)}${d("calls_per_s_c64")}`];
  });
  lines.push(`| ${name} | ${cells.join(" | ")} |`);
}
lines.push(
  ``,
  `CPU µs per sequential call (process user+sys, all threads; medians of the rounds), measured by ts-host (BENCH_CPU=1):`,
  ``,
  `| variant | ts->ts host | ts->ts plugin | ts->go host | ts->go Go plugin |`,
  `|---|---|---|---|---|`,
);
for (const name of Object.keys(VARIANTS)) {
  const m = (p: string, k: string) => median(results[name]![p]!.map((r) => r[k] as number));
  const d = (p: string, k: string) => (name === "baseline" ? "" : ` (${(((m(p, k) - median(base[p]!.map((r) => r[k] as number))) / median(base[p]!.map((r) => r[k] as number))) * 100).toFixed(0)}%)`);
  lines.push(
    `| ${name} | ${m("ts->ts", "host_cpu_us_per_call").toFixed(0)}${d("ts->ts", "host_cpu_us_per_call")} | ${m("ts->ts", "plugin_cpu_us_per_call").toFixed(0)}${d("ts->ts", "plugin_cpu_us_per_call")} | ` +
      `${m("ts->go", "host_cpu_us_per_call").toFixed(0)}${d("ts->go", "host_cpu_us_per_call")} | ${m("ts->go", "plugin_cpu_us_per_call").toFixed(0)} |`,
  );
}
const md = lines.join("\n") + "\n";
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(join(ROOT, "bench", "results", "experiment.md"), md);
process.stdout.write(md);
