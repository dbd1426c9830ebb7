// serveLoop's tracing against chainlink-common's: the same host (src/loop's
// RelayerService) drives chainlink-common's static test relayer started as a
// production Go plugin starts, by loop.MustNewStartedServer (loop-peer
// -loop-relayer), and the TS relayer fixture that answers as it does, under
// serveLoop (test/fixtures/loop/relayer-plugin.ts), both with the node's CL_TRACING_*
// settings, through the same calls; a stand-in OTLP collector in Go
// (interop/loop/cmd/otlpcollector) receives what each exports. The Go plugin's
// spans are the reference: the TS plugin's must be the same span for span —
// name, kind, flags, parent, trace id when one was propagated, attributes in
// order, status — and its resource must carry the same attributes with the
// same schema URL. Ids, times, the pid, the program name and version, and the
// instrumentation scope (otelgrpc's on the Go side, this library's on ours)
// differ by nature and are checked separately.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Metadata } from "../src/index.js";
import { generateCert } from "../src/goplugin/mtls-cert.js";
import { envConfigToCmdEnv, type EnvConfig } from "../src/loop/env-config.js";
import { RelayerService } from "../src/loop/host/relayer-service.js";
import * as F from "../examples/loop/fixtures.js";
import { nodeTs } from "../examples/support.js";
import { BIN, processesMatching, scratchDir } from "./helpers.js";

const LOOP_PEER = join(BIN, "loop-peer");
const GO_RELAYER = [LOOP_PEER, "-loop-relayer"];
const TS_RELAYER = nodeTs("test/fixtures/loop/relayer-plugin.ts");
const COLLECTOR = join(BIN, "otlp-collector");
const PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT_SPAN = "b7ad6b7169203331";
/** Go exports on its batcher's 5 s schedule only (chainlink-common does not flush at exit). */
const SCHEDULE_WAIT_MS = 6500;

interface Collector {
  addr: string;
  proc: ChildProcess;
  /** Every exported request, as protojson. */
  requests: Array<{ resourceSpans: ResourceSpans[] }>;
  stop(): Promise<void>;
}
interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  status?: { code?: string; message?: string };
}
interface ResourceSpans {
  resource: { attributes: KeyValue[] };
  schemaUrl?: string;
  scopeSpans: Array<{ scope: { name: string; version?: string }; spans: OtlpSpan[] }>;
}

async function startCollector(tls?: { cert: string; key: string }): Promise<Collector> {
  const proc = spawn(COLLECTOR, tls ? ["-cert", tls.cert, "-key", tls.key] : [], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout! });
  const requests: Collector["requests"] = [];
  const addr = await new Promise<string>((resolve, reject) => {
    proc.once("error", reject);
    lines.once("line", (l) => (l.startsWith("ADDR ") ? resolve(l.slice(5)) : reject(new Error(`otlp-collector: ${l}`))));
  });
  lines.on("line", (l) => requests.push(JSON.parse(l)));
  const closed = new Promise<void>((r) => proc.once("close", () => r()));
  return { addr, proc, requests, stop: () => (proc.stdin!.end(), closed) };
}

const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, "base64").toString("hex") : "");
const attrs = (kvs: KeyValue[] | undefined) => (kvs ?? []).map((kv) => [kv.key, Object.values(kv.value)[0]]);

/**
 * What must be equal between the Go and the TS plugin's span for the same call. Ids are random, so a
 * parent is named (the propagated one, or the span of this plugin it points to), and a client span's
 * dialed socket path (a different one per run) is just required to be a path.
 */
function comparable(s: OtlpSpan, all: OtlpSpan[]) {
  const parentId = hex(s.parentSpanId);
  const parent = all.find((p) => hex(p.spanId) === parentId);
  const sameTrace = parent ? hex(parent.traceId) === hex(s.traceId) : undefined;
  return {
    name: s.name,
    kind: s.kind,
    flags: s.flags,
    parent: parentId === PARENT_SPAN ? `propagated ${PARENT_SPAN}` : parent ? `span ${parent.name}${sameTrace ? "" : " (other trace!)"}` : parentId,
    // A propagated trace id is kept; a new one is random.
    traceId: parentId === PARENT_SPAN ? hex(s.traceId) : "(random)",
    traceState: s.traceState ?? "",
    attributes: attrs(s.attributes).map(([k, v]) => (k === "server.address" && String(v).startsWith("/") ? [k, "(socket path)"] : [k, v])),
    status: s.status ?? {},
  };
}

/** The spans one plugin (told apart by the `run` resource attribute) exported, with its resource and scope. */
function exported(c: Collector, run: string) {
  const mine = c.requests.flatMap((r) => r.resourceSpans).filter((rs) => rs.resource.attributes.some((a) => a.key === "run" && a.value.stringValue === run));
  return {
    resources: mine.map((rs) => ({ schemaUrl: rs.schemaUrl, attributes: attrs(rs.resource.attributes) })),
    scopes: mine.flatMap((rs) => rs.scopeSpans.map((ss) => ss.scope)),
    spans: mine.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  };
}

/** One plugin through the calls: NewRelayer, GetChainStatus, and Replay of a block they do not expect (refused alike: a span with status ERROR) under a sampled and an unsampled parent. */
async function drive(cmd: string[], env: EnvConfig): Promise<{ pid?: number; errors: string[] }> {
  const [command, ...args] = cmd;
  const relayer = new RelayerService({ cmd: { command: command!, args }, config: F.RELAYER_CONFIG, keystore: F.KEYSTORE, csaKeystore: F.KEYSTORE, env });
  const errors: string[] = [];
  try {
    await relayer.start();
    const pid = relayer.client?.pid;
    expect(await relayer.getChainStatus()).toMatchObject({ id: "some_chain", enabled: true });
    const r = await relayer.relayer();
    for (const flags of ["01", "00"]) {
      const metadata = new Metadata({ traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-${flags}`, tracestate: "vendor=v1" });
      await r.replay("7", {}, { metadata }).catch((e: Error) => errors.push(e.message));
    }
    await new Promise((res) => setTimeout(res, SCHEDULE_WAIT_MS));
    return { pid, errors };
  } finally {
    await relayer[Symbol.asyncDispose]();
  }
}

/** The calls traced: the plugin's handlers, and the two Keystore.Accounts calls NewRelayer makes to the host. */
const CALLS = ["loop.PluginRelayer/NewRelayer", "loop.Keystore/Accounts", "loop.Relayer/GetChainStatus", "loop.Relayer/Replay"];

describe("serveLoop's tracing against chainlink-common's (loop.NewStartedServer)", () => {
  let collector: Collector;
  const dir = scratchDir();
  afterAll(async () => {
    await collector?.stop();
    dir.remove();
  });

  test("the same server spans, span for span, and the same resource attributes", async () => {
    collector = await startCollector();
    const env = (run: string, ratio: number): EnvConfig => ({
      appId: "app-7",
      tracingEnabled: true,
      tracingCollectorTarget: `dns:///${collector.addr}`,
      tracingSamplingRatio: ratio,
      tracingAttributes: { run, "node.region": "eu" },
    });
    // Ratio 1: every root call is sampled. Ratio 0: only the call under a sampled parent (ParentBased).
    const runs = await Promise.all([
      drive(GO_RELAYER, env("go-1", 1)),
      drive(TS_RELAYER, env("ts-1", 1)),
      drive(GO_RELAYER, env("go-0", 0)),
      drive(TS_RELAYER, env("ts-0", 0)),
    ]);
    const refused = "UNKNOWN: expected from  but got 7";
    for (const r of runs) expect(r.errors).toEqual([refused, refused]);
    const go1 = exported(collector, "go-1");
    const ts1 = exported(collector, "ts-1");
    const go0 = exported(collector, "go-0");
    const ts0 = exported(collector, "ts-0");

    const ofCalls = (spans: OtlpSpan[]) =>
      spans
        .filter((s) => CALLS.includes(s.name))
        .map((s) => comparable(s, spans))
        .sort((a, b) => a.name.localeCompare(b.name));
    // The reference: NewRelayer and GetChainStatus as roots, NewRelayer's two calls to the host's
    // keystores as its children (client spans), Replay under the sampled parent only.
    expect(ofCalls(go1.spans).map((s) => [s.name, s.kind, s.parent])).toEqual([
      ["loop.Keystore/Accounts", "SPAN_KIND_CLIENT", "span loop.PluginRelayer/NewRelayer"],
      ["loop.Keystore/Accounts", "SPAN_KIND_CLIENT", "span loop.PluginRelayer/NewRelayer"],
      ["loop.PluginRelayer/NewRelayer", "SPAN_KIND_SERVER", ""],
      ["loop.Relayer/GetChainStatus", "SPAN_KIND_SERVER", ""],
      ["loop.Relayer/Replay", "SPAN_KIND_SERVER", `propagated ${PARENT_SPAN}`],
    ]);
    expect(ofCalls(ts1.spans)).toEqual(ofCalls(go1.spans));
    expect(ofCalls(go0.spans).map((s) => s.name)).toEqual(["loop.Relayer/Replay"]);
    expect(ofCalls(ts0.spans)).toEqual(ofCalls(go0.spans));

    // Resources: the same attributes but for the program's identity and pid.
    // `run` tells the four plugins apart; the rest must be equal.
    const identity = new Set(["service.name", "service.version", "process.pid", "run"]);
    for (const [go, ts, pid] of [
      [go1, ts1, runs[1]!.pid],
      [go0, ts0, runs[3]!.pid],
    ] as const) {
      const strip = (r: (typeof go.resources)[number]) => ({ schemaUrl: r.schemaUrl, attributes: r.attributes.filter(([k]) => !identity.has(k as string)) });
      // One resource per plugin, in every request it sent (the TS one sends a second at exit).
      for (const side of [go, ts]) expect(new Set(side.resources.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(strip(ts.resources[0]!)).toEqual(strip(go.resources[0]!));
      expect(Object.fromEntries(ts.resources[0]!.attributes)).toMatchObject({ "process.pid": String(pid), "service.version": "unset" });
      expect(Object.fromEntries(go.resources[0]!.attributes)).toMatchObject({ "service.name": expect.stringContaining("chainlink-common") });
      expect(go.scopes[0]).toMatchObject({ name: "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc" });
      expect(ts.scopes[0]).toMatchObject({ name: "go-plugin-ts" });
    }
    // Times are wall-clock nanoseconds around the test's own.
    const t0 = BigInt(Date.now() - 120_000) * 1_000_000n;
    for (const s of ts1.spans) {
      expect(BigInt(s.startTimeUnixNano)).toBeGreaterThan(t0);
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
    }
    // Beyond Go: the TS plugin exports the spans of its last calls before it exits (a Go plugin's
    // batcher is never flushed, so Shutdown's span is lost there).
    expect(ts1.spans.map((s) => s.name)).toContain("plugin.GRPCController/Shutdown");
    expect(go1.spans.map((s) => s.name)).not.toContain("plugin.GRPCController/Shutdown");
    expect(processesMatching(LOOP_PEER)).toEqual([]);
    expect(processesMatching("relayer-plugin.ts")).toEqual([]);
  }, 120_000);

  test("over TLS with CL_TRACING_TLS_CERT_PATH, and Go's text for a CA file that is missing", async () => {
    const cert = await generateCert();
    const certFile = join(dir.path, "collector.pem");
    const keyFile = join(dir.path, "collector.key");
    writeFileSync(certFile, cert.certPem);
    writeFileSync(keyFile, cert.keyPem);
    const tlsCollector = await startCollector({ cert: certFile, key: keyFile });
    try {
      const port = tlsCollector.addr.slice(tlsCollector.addr.lastIndexOf(":") + 1);
      const env = (run: string, caPath: string): EnvConfig => ({
        tracingEnabled: true,
        tracingCollectorTarget: `dns:///localhost:${port}`,
        tracingSamplingRatio: 1,
        tracingTlsCertPath: caPath,
        tracingAttributes: { run },
      });
      await Promise.all([drive(GO_RELAYER, env("go-tls", certFile)), drive(TS_RELAYER, env("ts-tls", certFile))]);
      const names = (run: string) => exported(tlsCollector, run).spans.map((s) => s.name).filter((n) => CALLS.includes(n)).sort();
      // Replay under the unsampled parent is not sampled (ParentBased), so one of each, and two Accounts.
      expect(names("go-tls")).toEqual([...CALLS, "loop.Keystore/Accounts"].sort());
      expect(names("ts-tls")).toEqual(names("go-tls"));
    } finally {
      await tlsCollector.stop();
    }
    // A CA file that cannot be read ends the plugin before its handshake, with Go's text.
    const missing = join(dir.path, "missing.pem");
    const fatal = (cmd: string[]) =>
      new Promise<string>((resolve, reject) => {
        const env = envConfigToCmdEnv({ tracingEnabled: true, tracingCollectorTarget: "dns:///localhost:4317", tracingTlsCertPath: missing });
        execFile(cmd[0]!, cmd.slice(1), { env: Object.fromEntries(env), timeout: 30_000 }, (err, stdout, stderr) => {
          if (!err || (err as { code?: number }).code !== 1 || stdout) return reject(new Error(`expected exit 1 before any handshake: ${err?.message} ${stdout}`));
          const rec = stderr.split("\n").find((l) => l.includes('"fatal"'));
          resolve(rec ? (JSON.parse(rec) as { "@message": string })["@message"] : stderr);
        });
      });
    const goText = await fatal(GO_RELAYER);
    expect(goText).toBe(`Failed to start server: failed to setup tracing: open ${missing}: no such file or directory`);
    expect(await fatal(TS_RELAYER)).toBe(goText);
  }, 120_000);
});
