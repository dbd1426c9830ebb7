// TypeScript counterpart of the Go host's `bench` and `bench-start` scenarios
// (interop/cmd/testhost/bench.go), built on the library's `Client`. It is
// bundled to bench/.build/ts-host.mjs and run in its own node process, so
// host and plugin never share a process. Prints one JSON line on stdout.
//
//   node bench/.build/ts-host.mjs -cmd "<plugin command>" -scenario bench -payload 16 -n 2000
//   node bench/.build/ts-host.mjs -cmd "<plugin command>" -scenario bench-start -n 5 [-automtls] [-mux]
//
// The plugin command runs as `sh -c CMD`, like the Go host.
import type { Channel } from "../src/index.js";
import { readFileSync } from "node:fs";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { Client, createClient, defaultEngine, type Broker, type GRPCPlugin, type LogEntry, type ServiceClient } from "../src/index.js";
import { Echo } from "../test/gen/bench/echo_pb.js";

type ShapeOf<T> = T extends GenService<infer S> ? S : never;
type EchoClient = ServiceClient<ShapeOf<typeof Echo>>;

interface Clients {
  echo: EchoClient;
  broker: Broker;
  /** The pid of the plugin's `sh -c` (the plugin itself is the shell's child with dash). */
  pid?: number;
}

interface Options {
  cmd: string;
  scenario: "bench" | "bench-start";
  payload: number;
  n: number;
  warmup: number;
  autoMTLS: boolean;
  mux?: boolean;
}

/** Per-call deadline, as the Go host's echoOnce (30 s context). */
const CALL_DEADLINE_MS = 30_000;
const BROKER_TRIALS = 20;

function parseFlags(argv: string[]): Options {
  const o: Partial<Options> & { n?: number } = { scenario: "bench", payload: 16, warmup: 200, autoMTLS: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [name, inline] = raw.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) usage(`flag -${name} needs a value`);
      return v;
    };
    switch (name) {
      case "cmd":
        o.cmd = value();
        break;
      case "scenario": {
        const s = value();
        if (s !== "bench" && s !== "bench-start") usage(`unknown scenario ${s}`);
        o.scenario = s;
        break;
      }
      case "payload":
        o.payload = intFlag(name, value());
        break;
      case "n":
        o.n = intFlag(name, value());
        break;
      case "warmup":
        o.warmup = intFlag(name, value());
        break;
      case "automtls":
        o.autoMTLS = inline === undefined ? true : inline === "true";
        break;
      case "mux":
        o.mux = inline === undefined ? true : inline === "true";
        break;
      default:
        usage(`unknown flag ${raw}`);
    }
  }
  if (!o.cmd) usage("-cmd is required");
  o.n ??= o.scenario === "bench" ? 1000 : 10;
  return o as Options;
}

function intFlag(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) usage(`-${name}: not a non-negative integer: ${v}`);
  return n;
}

function usage(msg: string): never {
  process.stderr.write(`ts-host: ${msg}\n`);
  process.exit(2);
}

// ---- helpers shared with the Go host's semantics ----

function makePayload(n: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + 7) & 0xff;
  return p;
}

const round1 = (f: number) => Math.round(f * 10) / 10;
const nowUs = () => performance.now() * 1000;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

async function echoOnce(e: EchoClient, payload: Uint8Array, check: boolean): Promise<void> {
  const got = (await e.echo({ value: payload }, { deadline: CALL_DEADLINE_MS })).value;
  if (got.length !== payload.length || (check && !equalBytes(got, payload))) {
    throw new Error(`echo returned ${got.length} bytes, want ${payload.length} (or content differs)`);
  }
}

/** utime+stime of a process in µs from /proc/<pid>/stat (10 ms ticks), if readable. */
function procCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // dash does not exec `sh -c CMD`: follow single children down to the plugin.
    for (let i = 0; i < 4; i++) {
      const kids: string[] = readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1").trim().split(/\s+/).filter(Boolean);
      if (kids.length !== 1) break;
      pid = Number(kids[0]);
    }
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // fields 14 and 15; CLK_TCK 100
  } catch {
    return undefined;
  }
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---- the harness ----

const hostLogs: LogEntry[] = [];

const benchPlugin: GRPCPlugin<Clients> = {
  grpcClient: ({ broker, channel }) => ({ echo: createClient(Echo, channel), broker }),
};

function newClient(opt: Options): Client {
  return new Client({
    handshakeConfig: { protocolVersion: 1, magicCookieKey: "TEST_MAGIC_COOKIE", magicCookieValue: "test" },
    plugins: { test: benchPlugin },
    cmd: { command: "sh", args: ["-c", opt.cmd] },
    allowedProtocols: ["grpc"],
    autoMTLS: opt.autoMTLS,
    grpcBrokerMultiplex: opt.mux,
    // Like the Go host: every log record kept in memory, nothing printed.
    logger: { log: (e) => void hostLogs.push(e) },
    managed: true,
    stdin: "ignore",
  });
}

/** Spawn -> first Echo OK, like the Go host's startToFirstEcho. */
async function startToFirstEcho(opt: Options, payload: Uint8Array): Promise<{ client: Client; c?: Clients; ms: number; err?: unknown }> {
  const t0 = performance.now();
  const client = newClient(opt);
  try {
    const c = await client.dispense<Clients>("test");
    c.pid = client.pid;
    try {
      await echoOnce(c.echo, payload, true);
    } catch (err) {
      return { client, c, ms: 0, err: new Error(`first Echo: ${errMsg(err)}`) };
    }
    return { client, c, ms: performance.now() - t0 };
  } catch (err) {
    return { client, ms: 0, err };
  }
}

async function kill(client: Client, out: Record<string, unknown>): Promise<void> {
  const t0 = performance.now();
  await client.kill();
  out.killed_gracefully = !client.forceKilled;
  out.kill_ms = round1(performance.now() - t0);
  out.exited = client.exited;
}

async function concurrentRate(e: EchoClient, payload: Uint8Array, n: number, par: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (++next <= n) await echoOnce(e, payload, false);
  };
  await Promise.all(Array.from({ length: par }, worker));
  return n / ((performance.now() - start) / 1000);
}

async function benchCalls(opt: Options, c: Clients, payload: Uint8Array, out: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < opt.warmup; i++) {
    try {
      await echoOnce(c.echo, payload, i === 0);
    } catch (err) {
      throw new Error(`warmup: ${errMsg(err)}`);
    }
  }
  const n = opt.n;
  const lat = new Float64Array(n);
  const cpu = process.env.BENCH_CPU === "1" ? { host: process.cpuUsage(), plugin: procCpuUs(c.pid) } : undefined;
  const markStart = process.hrtime.bigint();
  const start = nowUs();
  for (let i = 0; i < n; i++) {
    const t = nowUs();
    try {
      await echoOnce(c.echo, payload, false);
    } catch (err) {
      throw new Error(`sequential call ${i}: ${errMsg(err)}`);
    }
    lat[i] = nowUs() - t;
  }
  const totalUs = nowUs() - start;
  // For bench/profile.ts: the sequential phase on CLOCK_MONOTONIC (µs), the
  // clock V8's CPU profiles use, so both processes' profiles can be cut to it.
  if (cpu) {
    // CPU per sequential call: this process, and the plugin from /proc (Linux).
    const h = process.cpuUsage(cpu.host);
    out.host_cpu_us_per_call = round1((h.user + h.system) / n);
    const p = procCpuUs(c.pid);
    out.plugin_cpu_us_per_call = p !== undefined && cpu.plugin !== undefined ? round1((p - cpu.plugin) / n) : null;
  }
  if (process.env.BENCH_PHASE_MARKS === "1") out.seq_window_us = [Number(markStart / 1000n), Number(process.hrtime.bigint() / 1000n)];
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const rate = n / (totalUs / 1e6);
  out.p50_us = round1(percentile(sorted, 50));
  out.p99_us = round1(percentile(sorted, 99));
  out.mean_us = round1(totalUs / n);
  out.calls_per_s_c1 = round1(rate);
  out.mb_per_s = Math.round(((payload.length * rate) / 1e6) * 1000) / 1000;
  try {
    out.calls_per_s_c64 = round1(await concurrentRate(c.echo, payload, n, 64));
  } catch (err) {
    throw new Error(`64 in flight: ${errMsg(err)}`);
  }
}

/** Median over 20 trials of broker.dial(id) -> first Echo OK; Brokered itself is not timed. */
async function benchBrokerDial(c: Clients, out: Record<string, unknown>): Promise<void> {
  const small = makePayload(16);
  const samples: number[] = [];
  for (let i = 0; i < BROKER_TRIALS; i++) {
    let id: number;
    try {
      id = (await c.echo.brokered({}, { deadline: CALL_DEADLINE_MS })).value;
    } catch (err) {
      throw new Error(`Brokered: ${errMsg(err)}`);
    }
    const t0 = nowUs();
    let ch: Channel;
    try {
      ch = await c.broker.dial(id);
    } catch (err) {
      throw new Error(`Dial(${id}): ${errMsg(err)}`);
    }
    try {
      await echoOnce(createClient(Echo, ch), small, true);
    } catch (err) {
      throw new Error(`Echo on broker id ${id}: ${errMsg(err)}`);
    } finally {
      samples.push(nowUs() - t0);
      ch.close();
    }
  }
  out.broker_dial_us = round1(percentile(samples.sort((a, b) => a - b), 50));
}

function base(): Record<string, unknown> {
  // engine and node: what this host ran on, checked by bench/run.ts against what it asked for.
  return { ok: false, error: "", negotiated: 0, protocol: "", engine: defaultEngine(), node: process.version };
}

async function runBench(opt: Options): Promise<Record<string, unknown>> {
  const out = base();
  out.payload = opt.payload;
  out.n = opt.n;
  for (const k of ["start_ms", "p50_us", "p99_us", "mean_us", "calls_per_s_c1", "calls_per_s_c64", "mb_per_s", "broker_dial_us"]) out[k] = null;
  const errs: string[] = [];
  const payload = makePayload(opt.payload);

  const { client, c, ms, err } = await startToFirstEcho(opt, payload);
  out.negotiated = client.negotiatedVersion ?? 0;
  out.protocol = client.negotiatedVersion ? "grpc" : "";
  if (err || !c) {
    errs.push(`start: ${errMsg(err)}`);
  } else {
    out.start_ms = round1(ms);
    await benchCalls(opt, c, payload, out).catch((e) => errs.push(`bench: ${errMsg(e)}`));
    await benchBrokerDial(c, out).catch((e) => errs.push(`broker dial: ${errMsg(e)}`));
  }
  await kill(client, out);
  out.ok = errs.length === 0;
  out.error = errs.join("; ");
  return out;
}

async function runBenchStart(opt: Options): Promise<Record<string, unknown>> {
  const out = base();
  out.n = opt.n;
  out.automtls = opt.autoMTLS;
  out.start_ms = null;
  const errs: string[] = [];
  const payload = makePayload(opt.payload);
  const samples: number[] = [];
  let gracefulAll = true;
  for (let i = 0; i < opt.n; i++) {
    const { client, ms, err } = await startToFirstEcho(opt, payload);
    if (i === 0) {
      out.negotiated = client.negotiatedVersion ?? 0;
      out.protocol = client.negotiatedVersion ? "grpc" : "";
    }
    const k: Record<string, unknown> = {};
    await kill(client, k);
    if (!k.killed_gracefully) gracefulAll = false;
    if (err) {
      errs.push(`spawn ${i}: ${errMsg(err)}`);
      break;
    }
    samples.push(ms);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length) {
    out.start_ms = round1(percentile(sorted, 50));
    out.start_ms_min = round1(sorted[0]!);
    out.start_ms_max = round1(sorted[sorted.length - 1]!);
  }
  out.samples_ms = samples.map(round1);
  out.killed_gracefully = gracefulAll;
  out.ok = errs.length === 0;
  out.error = errs.join("; ");
  return out;
}

const opt = parseFlags(process.argv.slice(2));
let result: Record<string, unknown>;
try {
  result = opt.scenario === "bench" ? await runBench(opt) : await runBenchStart(opt);
} catch (err) {
  result = { ...base(), error: `unexpected: ${errMsg(err)}` };
}
process.stdout.write(JSON.stringify(result) + "\n");
// Do not let a stray handle keep the host alive; the clients are killed already.
process.exit(0);
