// Summarises V8 .cpuprofile files (node --cpu-prof): self time per function
// and per layer (grpc-js, node http2, protobuf-es, our code, GC, …),
// optionally cut to a time window and divided by a call count.
//
//   npx tsx bench/cpuprofile.ts FILE.cpuprofile [--window=START_US,END_US] [--calls=N] [--top=25]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  where: string;
  layer: string;
  us: number;
}

export interface Summary {
  file: string;
  windowUs: number;
  sampledUs: number;
  /** Sampled time minus (idle). */
  busyUs: number;
  layers: Array<{ layer: string; us: number }>;
  top: Entry[];
  /** Inclusive time of selected functions (self + callees). */
  inclusive: Array<{ name: string; us: number }>;
}

/** Bundled sources: esbuild marks each module with a `// path/to/file.ts` line. */
const bundleMaps = new Map<string, Array<{ line: number; module: string }>>();
function bundleModule(url: string, line: number): string | undefined {
  if (!url.includes("/bench/.build/")) return undefined;
  let map = bundleMaps.get(url);
  if (!map) {
    map = [];
    try {
      const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
      lines.forEach((l, i) => {
        const m = /^\/\/ ((?:src|test|bench|node_modules)\/\S+\.[cm]?[jt]s)$/.exec(l);
        if (m) map!.push({ line: i, module: m[1]! });
      });
    } catch {
      // not readable
    }
    bundleMaps.set(url, map);
  }
  let found: string | undefined;
  for (const e of map) {
    if (e.line <= line) found = e.module;
    else break;
  }
  return found;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/bench\/\.build\//, "bundle:");
}

export function layerOf(cf: CallFrame): { layer: string; where: string } {
  const { url, functionName: fn, lineNumber } = cf;
  if (!url) {
    if (fn === "(garbage collector)") return { layer: "GC", where: "" };
    if (fn === "(idle)") return { layer: "idle", where: "" };
    if (fn === "(program)") return { layer: "V8/native (program)", where: "" };
    if (fn === "(root)") return { layer: "root", where: "" };
    return { layer: "native bindings (C++)", where: "" };
  }
  if (url.startsWith("node:internal/http2") || url === "node:http2") return { layer: "node http2 core", where: url };
  if (/^node:(net|internal\/stream_base_commons|internal\/streams|stream|internal\/net)/.test(url)) return { layer: "node streams/net", where: url };
  if (/^node:(internal\/process\/task_queues|internal\/timers|timers|internal\/async_hooks|events|internal\/event_target|internal\/abort_controller)/.test(url)) {
    return { layer: "node timers/events/microtasks", where: url };
  }
  if (url.startsWith("node:")) return { layer: "node other", where: url };
  if (url.includes("@grpc/grpc-js")) return { layer: "grpc-js", where: shortUrl(url) };
  if (url.includes("@bufbuild/protobuf")) return { layer: "protobuf-es", where: shortUrl(url) };
  const mod = bundleModule(url, lineNumber);
  if (mod) {
    if (mod.startsWith("src/rpc/")) return { layer: "ours: src/rpc", where: mod };
    if (mod.startsWith("src/")) return { layer: "ours: other src", where: mod };
    return { layer: "bench/test harness", where: mod };
  }
  return { layer: "other JS", where: shortUrl(url) };
}

/** Inclusive-time probes: [label, predicate on the frame]. */
const PROBES: Array<[string, (cf: CallFrame, where: string) => boolean]> = [
  ["codec serialize (src/rpc/codec.ts, incl. protobuf-es)", (cf, w) => w === "src/rpc/codec.ts" && cf.functionName === "serialize"],
  ["codec deserialize (src/rpc/codec.ts, incl. protobuf-es)", (cf, w) => w === "src/rpc/codec.ts" && cf.functionName === "deserialize"],
  ["protobuf-es toBinary", (cf) => cf.url.includes("@bufbuild/protobuf") && cf.functionName === "toBinary"],
  ["protobuf-es fromBinary", (cf) => cf.url.includes("@bufbuild/protobuf") && cf.functionName === "fromBinary"],
  ["protobuf-es create", (cf) => cf.url.includes("@bufbuild/protobuf") && cf.functionName === "create"],
  ["server ctx: contextOf (AbortController per call)", (cf, w) => w === "src/rpc/server.ts" && cf.functionName === "contextOf"],
  ["server ctx: grpc-js onCancel after every call -> our 'cancelled' listener (RpcError + abort)", (cf) => cf.url.includes("@grpc/grpc-js") && cf.functionName === "onCancel"],
  ["grpc-js makeUnaryRequest", (cf) => cf.url.includes("@grpc/grpc-js") && cf.functionName === "makeUnaryRequest"],
  ["grpc-js Http2ServerCallStream / server handler path", (cf) => cf.url.includes("@grpc/grpc-js") && /server-interceptors/.test(cf.url) && /^(sendUnaryMessage|sendMessage|onReceiveMessage|start)$/.test(cf.functionName)],
];

export function summarize(file: string, opts: { window?: [number, number]; top?: number } = {}): Summary {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Each sample's duration is the delta to the next sample.
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  let sampled = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    const next = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0;
    if (opts.window && (t < opts.window[0] || t > opts.window[1])) continue;
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + next);
    sampled += next;
  }

  const layers = new Map<string, number>();
  const fns = new Map<string, Entry>();
  const inclusive = new Map<string, number>();
  const layerCache = new Map<number, { layer: string; where: string }>();
  const lay = (id: number) => {
    let l = layerCache.get(id);
    if (!l) layerCache.set(id, (l = layerOf(byId.get(id)!.callFrame)));
    return l;
  };
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const { layer, where } = lay(id);
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    const key = `${cf.functionName || "(anonymous)"}|${where}|${cf.lineNumber}`;
    const e = fns.get(key) ?? { name: cf.functionName || "(anonymous)", where: where ? `${where}:${cf.lineNumber + 1}` : "", layer, us: 0 };
    e.us += us;
    fns.set(key, e);
    // Inclusive probes: count once per probe per sample stack.
    const hit = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!.callFrame;
      const w = lay(cur).where;
      for (const [label, pred] of PROBES) if (!hit.has(label) && pred(c, w)) hit.add(label);
    }
    for (const label of hit) inclusive.set(label, (inclusive.get(label) ?? 0) + us);
  }
  const idle = layers.get("idle") ?? 0;
  return {
    file,
    windowUs: opts.window ? opts.window[1] - opts.window[0] : p.endTime - p.startTime,
    sampledUs: sampled,
    busyUs: sampled - idle,
    layers: [...layers].map(([layer, us]) => ({ layer, us })).sort((a, b) => b.us - a.us),
    top: [...fns.values()].filter((e) => e.layer !== "idle").sort((a, b) => b.us - a.us).slice(0, opts.top ?? 25),
    inclusive: PROBES.map(([label]) => ({ name: label, us: inclusive.get(label) ?? 0 })),
  };
}

/** Markdown for one summary; `calls` turns times into µs per call. */
export function summaryMarkdown(title: string, s: Summary, calls?: number): string {
  const per = (us: number) => (calls ? (us / calls).toFixed(1) : (us / 1000).toFixed(1));
  const unit = calls ? "µs/call" : "ms";
  const pct = (us: number) => ((100 * us) / (s.busyUs || 1)).toFixed(1) + "%";
  const out = [
    `### ${title}`,
    ``,
    `window ${(s.windowUs / 1000).toFixed(0)} ms, busy (non-idle) ${(s.busyUs / 1000).toFixed(0)} ms` +
      (calls ? ` = ${per(s.busyUs)} µs CPU per call over ${calls} calls` : ""),
    ``,
    `| layer | ${unit} | % of busy |`,
    `|---|---|---|`,
    ...s.layers.filter((l) => l.layer !== "idle").map((l) => `| ${l.layer} | ${per(l.us)} | ${pct(l.us)} |`),
    ``,
    `Inclusive (self + callees):`,
    ``,
    `| function | ${unit} | % of busy |`,
    `|---|---|---|`,
    ...s.inclusive.filter((x) => x.us > 0).map((x) => `| ${x.name} | ${per(x.us)} | ${pct(x.us)} |`),
    ``,
    `Top self time:`,
    ``,
    `| function | where | layer | ${unit} | % of busy |`,
    `|---|---|---|---|---|`,
    ...s.top.map((e) => `| ${e.name.replace(/\|/g, "\\|")} | ${e.where} | ${e.layer} | ${per(e.us)} | ${pct(e.us)} |`),
    ``,
  ];
  return out.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const win = opt("window")?.split(",").map(Number) as [number, number] | undefined;
  const calls = opt("calls") ? Number(opt("calls")) : undefined;
  for (const f of args.filter((a) => !a.startsWith("--"))) {
    process.stdout.write(summaryMarkdown(f, summarize(f, { window: win, top: Number(opt("top") ?? 25) }), calls) + "\n");
  }
}
