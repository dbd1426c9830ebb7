/**
 * `go-plugin-ts check`: launches any go-plugin gRPC plugin (Go, TypeScript,
 * Python, …) the way a go-plugin host does and reports, check by check, what a
 * host would run into: the handshake line field by field, negotiated version,
 * transport, AutoMTLS certificate, health, stdio and broker streams, graceful
 * Shutdown, and what the plugin leaves behind.
 */
import type { Channel } from "../rpc/client.js";
import { spawn, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { GRPCBroker, type ConnInfo } from "../gen/plugin/grpc_broker_pb.js";
import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { GRPCStdio } from "../gen/plugin/grpc_stdio_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { AsyncQueue } from "../rpc/async-queue.js";
import { createClient } from "../rpc/client.js";
import { Code, RpcError } from "../rpc/status.js";
import { dialChannel } from "../rpc/transport.js";
import { autoMTLS, type ClientTls } from "../goplugin/client-tls.js";
import { ENV } from "../goplugin/env.js";
import { CORE_PROTOCOL_VERSION, parseHandshakeLine, type Handshake } from "../goplugin/handshake.js";
import { GRPC_SERVICE_NAME } from "../goplugin/health.js";
import { readLines } from "../goplugin/lines.js";
import { NOT_A_PLUGIN } from "../goplugin/serve.js";

export interface CheckOptions {
  command: readonly string[];
  cookieKey: string;
  cookieValue: string;
  /** App protocol versions offered, like a host's versioned plugin sets. */
  versions: readonly number[];
  autoMTLS: boolean;
  /** Spawn → handshake line. */
  startTimeoutMs: number;
  /** Shutdown → exit, go-plugin's grace before it kills. */
  graceMs: number;
}

export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
  id: string;
  status: CheckStatus;
  detail: string;
}

export interface CheckReport {
  ok: boolean;
  command: readonly string[];
  handshakeLine?: string;
  negotiatedVersion?: number;
  transport?: { network: string; address: string };
  startMs?: number;
  shutdownMs?: number;
  exitCode?: number | null;
  exitSignal?: string | null;
  checks: CheckResult[];
  stderrTail: string[];
}

const STDERR_TAIL = 10;
/** How long a stream must stay up to count as offered. */
const STREAM_SETTLE_MS = 500;
const CALL_DEADLINE_MS = 5000;
const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A line a go-plugin host could take for a handshake (it takes the first line, whatever it is). */
const looksLikeHandshake = (line: string) => /^\d+\|\d+\|[^|]*\|/.test(line);

export async function checkPlugin(o: CheckOptions): Promise<CheckReport> {
  const checks: CheckResult[] = [];
  const add = (id: string, status: CheckStatus, detail: string) => void checks.push({ id, status, detail });
  // Summary fields first, so they lead the JSON output.
  const report: CheckReport = {
    ok: false,
    command: o.command,
    handshakeLine: undefined,
    negotiatedVersion: undefined,
    transport: undefined,
    startMs: undefined,
    shutdownMs: undefined,
    exitCode: undefined,
    exitSignal: undefined,
    checks,
    stderrTail: [],
  };

  const tls = o.autoMTLS ? await autoMTLS() : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [o.cookieKey]: o.cookieValue,
    [ENV.minPort]: "10000",
    [ENV.maxPort]: "25000",
    [ENV.protocolVersions]: o.versions.join(","),
  };
  if (tls?.certPem) env[ENV.clientCert] = tls.certPem;

  const started = performance.now();
  const child = spawn(o.command[0]!, o.command.slice(1), { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>((resolve) => {
    child.once("error", (err) => resolve({ code: null, signal: null, spawnError: err }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let exit: Awaited<typeof exited> | undefined;
  void exited.then((e) => (exit = e));

  const stderr: string[] = [];
  void readLines(child.stderr!, (l) => {
    stderr.push(l);
    if (stderr.length > STDERR_TAIL) stderr.shift();
  });
  const before: string[] = [];
  let first: string | undefined;
  let found = false;
  const handshake = new Promise<string | undefined>((resolve) => {
    void readLines(child.stdout!, (line) => {
      first ??= line;
      if (found) return;
      if (looksLikeHandshake(line)) {
        found = true;
        resolve(line);
      } else before.push(line);
    }).then(() => resolve(undefined));
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), o.startTimeoutMs)));
  const got = await Promise.race([handshake, exited.then(() => handshake), timedOut]);
  clearTimeout(timer);
  const line = typeof got === "string" ? got : undefined;
  report.startMs = line !== undefined ? round(performance.now() - started) : undefined;

  // stdout before the handshake: a host reads the first line as the handshake.
  if (line !== undefined && first === line) add("stdout", "pass", "the handshake was the first line on stdout");
  else if (before.length) {
    add("stdout", "fail", `${before.length} line(s) on stdout before any handshake; a host reads the first as the handshake: ${JSON.stringify(clip(before[0]!))}`);
  } else add("stdout", "skip", "nothing on stdout");

  let channel: Channel | undefined;
  const streams = new AbortController();
  let killed = false;
  const kill = () => {
    killed = true;
    killGroup(child);
  };
  try {
    if (line === undefined) {
      const e = exit ?? (await Promise.race([exited, sleep(100).then(() => undefined)]));
      add("handshake", "fail", noHandshake(got === "timeout", e, o, stderr));
      return report;
    }
    report.handshakeLine = line;
    const h = assessHandshake(line, o, add);
    if (!h) return report;
    report.negotiatedVersion = h.appVersion;
    report.transport = { ...h.addr };
    add("version", "pass", `${h.appVersion} (offered ${o.versions.join(",")})`);
    add("transport", "pass", `${h.addr.network} ${h.addr.address}`);

    let dialTls: ClientTls | undefined;
    if (tls) {
      const problems = certProblems(h.serverCert);
      add("automtls", problems.fatal.length ? "fail" : problems.soft.length ? "warn" : "pass",
        [...problems.fatal, ...problems.soft].join("; ") || "certificate fits go-plugin's profile (EC P-521, CA, localhost, client+server auth); mutual TLS used for every call below");
      if (!problems.fatal.length && h.serverCert) dialTls = tls.withServerCert!(h.serverCert);
      else return report;
    } else {
      add("automtls", h.serverCert ? "warn" : "skip", h.serverCert ? "not requested, yet the plugin sent a certificate" : "not requested (--automtls)");
    }
    channel = dialChannel(h.addr, { tls: dialTls?.pem });

    try {
      const r = await createClient(Health, channel).check({ service: GRPC_SERVICE_NAME }, { deadline: Date.now() + CALL_DEADLINE_MS });
      const name = HealthCheckResponse_ServingStatus[r.status] ?? String(r.status);
      add("health", r.status === HealthCheckResponse_ServingStatus.SERVING ? "pass" : "fail", `grpc.health.v1.Health/Check("${GRPC_SERVICE_NAME}") = ${name}`);
    } catch (err) {
      add("health", "fail", `grpc.health.v1.Health/Check("${GRPC_SERVICE_NAME}") failed: ${message(err)}`);
    }

    add("stdio", ...(await streamCheck("plugin.GRPCStdio/StreamStdio", createClient(GRPCStdio, channel).streamStdio({}, { signal: streams.signal }))));
    const out = new AsyncQueue<ConnInfo>();
    const brokerResult = await streamCheck("plugin.GRPCBroker/StartStream", createClient(GRPCBroker, channel).startStream(out, { signal: streams.signal }));
    if (brokerResult[0] === "pass") brokerResult[1] += "; a brokered connection needs the plugin's own protocol to ask for one, so none was made";
    add("broker", ...brokerResult);

    const t = performance.now();
    let shutdownErr: unknown;
    await createClient(GRPCController, channel)
      .shutdown({}, { deadline: Date.now() + o.graceMs })
      .catch((err: unknown) => (shutdownErr = err));
    const e = await Promise.race([exited, sleep(Math.max(0, o.graceMs - (performance.now() - t))).then(() => undefined)]);
    if (!e) {
      kill();
      add("shutdown", "fail", `still running ${o.graceMs} ms after GRPCController/Shutdown${shutdownErr ? ` (${message(shutdownErr)})` : ""}; killed`);
    } else {
      report.shutdownMs = round(performance.now() - t);
      // A plugin that exits while answering may cut the reply (UNAVAILABLE); the exit is what counts.
      const how = `exit ${e.code ?? `signal ${e.signal}`} ${report.shutdownMs} ms after GRPCController/Shutdown`;
      add("shutdown", e.code === 0 ? "pass" : "fail", e.code === 0 ? how : `${how} (a host expects 0)`);
    }
  } finally {
    streams.abort();
    channel?.close();
    if (exit === undefined) {
      const e = await Promise.race([exited, sleep(50).then(() => undefined)]);
      if (!e) kill();
    }
    const e = await exited;
    report.exitCode = e.code;
    report.exitSignal = e.signal;
    leftovers(child, report, killed, add);
    report.stderrTail = [...stderr];
    report.ok = !checks.some((c) => c.status === "fail");
  }
  return report;
}

function assessHandshake(line: string, o: CheckOptions, add: (id: string, s: CheckStatus, d: string) => void): Handshake | undefined {
  const f = line.split("|");
  const field = (i: number, name: string, ok: boolean | undefined, detail: string) =>
    add(`handshake.${name}`, ok === undefined ? "skip" : ok ? "pass" : "fail", `field ${i + 1} ${JSON.stringify(clip(f[i] ?? "", 40))}: ${detail}`);
  field(0, "core", f[0] === String(CORE_PROTOCOL_VERSION), `core protocol version, must be ${CORE_PROTOCOL_VERSION}`);
  field(1, "app", /^\d+$/.test(f[1] ?? "") && o.versions.includes(Number(f[1])), `app protocol version, one of the offered ${o.versions.join(",")}`);
  field(2, "network", f[2] === "unix" || f[2] === "tcp", "unix or tcp");
  const addr = f[3] ?? "";
  if (f[2] === "unix") field(3, "address", isSocket(addr), isSocket(addr) ? "a unix socket that exists" : "no unix socket at this path");
  else field(3, "address", /^[^:]*:\d+$/.test(addr), "host:port");
  field(4, "protocol", f[4] === "grpc", f[4] === "netrpc" || f[4] === undefined ? "netrpc is not supported; grpc is" : "must be grpc");
  if (o.autoMTLS) field(5, "cert", (f[5] ?? "").length > 50, "base64 DER of the plugin's certificate (AutoMTLS)");
  else field(5, "cert", (f[5] ?? "") === "" ? true : undefined, (f[5] ?? "") === "" ? "empty (no AutoMTLS)" : "a certificate, though AutoMTLS was not requested");
  if (f.length > 6) field(6, "mux", ["true", "false", "1", "0", "t", "f", "T", "F", "TRUE", "FALSE", "True", "False"].includes(f[6]!), "broker multiplexing support, a Go bool");
  try {
    const h = parseHandshakeLine(line, { versions: o.versions, allowedProtocols: ["grpc"] });
    add("handshake", "pass", JSON.stringify(clip(line, 120)));
    return h;
  } catch (err) {
    add("handshake", "fail", `a go-plugin host would refuse it: ${message(err)}`);
    return undefined;
  }
}

function certProblems(der: Buffer | undefined): { fatal: string[]; soft: string[] } {
  if (!der) return { fatal: ["no certificate in handshake field 6"], soft: [] };
  const fatal: string[] = [];
  const soft: string[] = [];
  const c = new X509Certificate(der);
  const now = Date.now();
  if (!c.ca) fatal.push("not a CA certificate (go-plugin trusts it as its own root)");
  if (!c.checkHost("localhost")) fatal.push("not valid for localhost");
  if (c.issuer !== c.subject || !c.verify(c.publicKey)) fatal.push("not self-signed");
  if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) fatal.push(`not valid now (${c.validFrom} – ${c.validTo})`);
  const eku = c.keyUsage ?? [];
  if (!eku.includes(OID_SERVER_AUTH)) fatal.push("no serverAuth extended key usage");
  if (!eku.includes(OID_CLIENT_AUTH)) soft.push("no clientAuth extended key usage (go-plugin's profile has both)");
  const k = c.publicKey.asymmetricKeyDetails;
  if (c.publicKey.asymmetricKeyType !== "ec" || k?.namedCurve !== "secp521r1") {
    soft.push(`key ${c.publicKey.asymmetricKeyType} ${k?.namedCurve ?? k?.modulusLength ?? ""}, not go-plugin's EC P-521`.replace(/ +,/, ","));
  }
  return { fatal, soft };
}

/** A server stream counts as offered when it has not failed after a short while. */
async function streamCheck(name: string, stream: AsyncIterable<unknown>): Promise<[CheckStatus, string]> {
  const it = stream[Symbol.asyncIterator]();
  const first = it.next().then(
    () => undefined,
    (err: unknown) => err,
  );
  const r = await Promise.race([first, sleep(STREAM_SETTLE_MS).then(() => "open" as const)]);
  // Keep draining so the stream does not stall on flow control.
  if (r === "open") void (async () => { try { for (;;) if ((await it.next()).done) break; } catch { /* ended by abort */ } })();
  if (r === "open" || r === undefined) return ["pass", `${name} open`];
  if (r instanceof RpcError && r.code === Code.UNIMPLEMENTED) return ["warn", `${name} not offered (a go-plugin host logs this and goes on)`];
  return ["fail", `${name} failed: ${message(r)}`];
}

function leftovers(child: ChildProcess, report: CheckReport, killed: boolean, add: (id: string, s: CheckStatus, d: string) => void) {
  // The socket named by the handshake line, even one a host would refuse.
  const f = report.handshakeLine?.split("|") ?? [];
  const socket = f[2] === "unix" && f[3] ? f[3] : undefined;
  if (!socket) add("socket", "skip", report.handshakeLine ? "tcp listener" : "no handshake");
  else if (!existsSync(socket)) add("socket", "pass", `${socket} removed by the plugin`);
  else {
    rmSync(socket, { force: true });
    if (killed) add("socket", "skip", `the check killed the plugin; removed its socket ${socket}`);
    else add("socket", "fail", `the plugin exited and left its socket ${socket} behind (removed now)`);
  }
  const pids = groupMembers(child.pid);
  if (pids.length) {
    killGroup(child);
    add("processes", "fail", `${pids.length} process(es) of the plugin's process group still running after it exited: ${pids.join(", ")} (killed now)`);
  } else add("processes", "pass", "nothing left in the plugin's process group");
  const exit = report.exitCode === null && report.exitSignal === null ? "never started" : `exit ${report.exitCode ?? `signal ${report.exitSignal}`}`;
  add("times", report.startMs === undefined ? "skip" : "pass",
    [report.startMs !== undefined ? `start ${report.startMs} ms (spawn → handshake)` : "", report.shutdownMs !== undefined ? `shutdown ${report.shutdownMs} ms` : "", exit].filter(Boolean).join(", "));
}

function noHandshake(timeout: boolean, e: { code: number | null; signal: string | null; spawnError?: Error } | undefined, o: CheckOptions, stderr: string[]): string {
  let why: string;
  if (e?.spawnError) why = `could not start ${JSON.stringify(o.command[0])}: ${e.spawnError.message}`;
  else if (timeout) why = `no handshake line within ${o.startTimeoutMs} ms`;
  else why = `exited (${e?.code ?? `signal ${e?.signal}`}) before writing a handshake line`;
  const text = stderr.join("\n");
  if (text.includes(NOT_A_PLUGIN.split("\n")[0]!)) {
    why += `; its stderr says it was run directly: the magic cookie ${o.cookieKey}=${o.cookieValue} is not the one it expects (--cookie KEY=VALUE)`;
  }
  return why;
}

/** Pids whose process group is the plugin's (it was spawned as a group leader). */
function groupMembers(pgid: number | undefined): number[] {
  if (!pgid || process.platform !== "linux") return [];
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] !== "Z" && Number(rest[2]) === pgid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killGroup(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const round = (ms: number) => Math.round(ms * 10) / 10;
const clip = (s: string, max = 100) => (s.length > max ? `${s.slice(0, max - 3)}...` : s);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!;

const MARK: Record<CheckStatus, string> = { pass: "ok", fail: "FAIL", warn: "warn", skip: "-" };

/** The report as a plain-text table. */
export function formatTable(r: CheckReport): string {
  const w = Math.max(...r.checks.map((c) => c.id.length));
  const rows = r.checks.map((c) => `${MARK[c.status].padEnd(4)}  ${c.id.padEnd(w)}  ${c.detail}`);
  const tail = !r.ok && r.stderrTail.length ? ["", "last stderr lines:", ...r.stderrTail.map((l) => `  ${l}`)] : [];
  const failed = r.checks.filter((c) => c.status === "fail").length;
  return [`plugin: ${r.command.join(" ")}`, "", ...rows, ...tail, "", r.ok ? "all checks passed" : `${failed} check(s) failed`].join("\n");
}

const USAGE = `usage: go-plugin-ts check --cookie KEY=VALUE [--versions 1,2] [--automtls] [--json]
                          [--start-timeout MS] [--grace MS] -- <plugin command…>

Launches the plugin as a go-plugin host would and checks its handshake, version, transport,
AutoMTLS certificate, health, stdio and broker streams, graceful Shutdown and what it leaves
behind. Exit status 1 when a check fails, 2 on a usage error.`;

export function parseArgs(argv: readonly string[]): CheckOptions & { json: boolean } {
  const dash = argv.indexOf("--");
  const flags = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const o = { command, cookieKey: "", cookieValue: "", versions: [1] as number[], autoMTLS: false, startTimeoutMs: 30_000, graceMs: 2000, json: false };
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const value = () => {
      const v = flags[++i];
      if (v === undefined) throw new UsageError(`${f} needs a value`);
      return v;
    };
    if (f === "--cookie") {
      const v = value();
      const eq = v.indexOf("=");
      if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--cookie wants KEY=VALUE, got ${JSON.stringify(v)}`);
      o.cookieKey = v.slice(0, eq);
      o.cookieValue = v.slice(eq + 1);
    } else if (f === "--versions") {
      const vs = value().split(",").map((s) => Number(s.trim()));
      if (!vs.length || vs.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError("--versions wants a comma-separated list of integers");
      o.versions = vs;
    } else if (f === "--automtls") o.autoMTLS = true;
    else if (f === "--json") o.json = true;
    else if (f === "--start-timeout") o.startTimeoutMs = positive(f, value());
    else if (f === "--grace") o.graceMs = positive(f, value());
    else throw new UsageError(`unknown option ${f}`);
  }
  if (!o.cookieKey) throw new UsageError("--cookie KEY=VALUE is required (the plugin's magic cookie)");
  if (!command.length) throw new UsageError("no plugin command after --");
  return o;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} wants a positive number of milliseconds`);
  return n;
}

class UsageError extends Error {}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`go-plugin-ts check: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const report = await checkPlugin(opts);
  console.log(opts.json ? JSON.stringify(report, null, 2) : formatTable(report));
  return report.ok ? 0 : 1;
}
