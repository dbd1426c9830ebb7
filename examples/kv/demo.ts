// `npm run demo`: go-plugin's own Go example hosts and plugins against the
// TypeScript ones, in every combination, in a scratch directory. Exits 1 if
// any combination disagrees or leaves a socket or a process behind.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BIN, nodeTs, parseLaunch, parseSumCallbacks, processesUnder, runHost, shellCommand, type HostRun } from "../support.js";

type Side = "ts" | "go";
const COMBOS: Array<[host: Side, plugin: Side]> = [
  ["ts", "go"],
  ["go", "ts"],
  ["ts", "ts"],
  ["go", "go"],
];
const name = (side: Side, role: string) => `${side === "ts" ? "TS" : "Go"} ${role}`;

const scratch = mkdtempSync(join(tmpdir(), "gp-demo-"));
const sockets = join(scratch, "sockets");
mkdirSync(sockets);
const env = {
  ...process.env,
  PLUGIN_UNIX_SOCKET_DIR: sockets, // honoured by TS and Go plugins alike
  KV_PROTO: "grpc",
  KV_LOG_LEVEL: "debug",
  COUNTER_LOG_LEVEL: "debug",
};
let failures = 0;
const out = (s = "") => console.log(s);
const ok = (good: boolean) => (good ? "✓" : (failures++, "✗ MISMATCH"));
const ms = (n: number) => `${String(n).padStart(4)} ms`;

function where(run: HostRun): string {
  const t = parseLaunch(run.stderr);
  const addr = t.address ? `${t.network}:${relative(scratch, t.address)}` : "address not logged";
  return `v${t.version ?? "?"}  ${addr.padEnd(30)}`;
}

async function step(argv: string[], args: string[], cwd: string, extra: Record<string, string>): Promise<HostRun> {
  const run = await runHost([...argv, ...args], { cwd, env: { ...env, ...extra } });
  if (run.code !== 0) {
    failures++;
    out(`    ✗ ${args.join(" ")} exited ${run.code ?? run.signal}: ${run.stdout.trim()}`);
    out(run.stderr.trim().split("\n").slice(-8).map((l) => `      | ${l}`).join("\n"));
  }
  return run;
}

out(`go-plugin interop demo · scratch ${scratch} · plugin sockets in sockets/`);
out("(vN: negotiated protocol version · unix:…: the plugin's listener from its handshake ·");
out(" times: whole host runs, Node + tsx startup included)");
out();
out("KV (go-plugin examples/grpc): put hello world, then get hello");
const kvHost = { ts: nodeTs("examples/kv/host.ts"), go: [join(BIN, "kv")] };
const kvPlugin = { ts: shellCommand(nodeTs("examples/kv/plugin.ts")), go: shellCommand([join(BIN, "kv-go-grpc")]) };
for (const [h, p] of COMBOS) {
  const cwd = join(scratch, `kv-${h}-${p}`);
  mkdirSync(cwd);
  out(`  ${name(h, "host")} → ${name(p, "plugin")}`);
  const extra = { KV_PLUGIN: kvPlugin[p] };
  const put = await step(kvHost[h], ["put", "hello", "world"], cwd, extra);
  out(`    put  ${where(put)} ${ms(put.ms)}`);
  const get = await step(kvHost[h], ["get", "hello"], cwd, extra);
  const value = get.stdout.replace(/\n$/, "");
  const want = `world\n\nWritten from plugin-${p === "go" ? "go-grpc" : "ts"}`;
  out(`    get  ${where(get)} ${ms(get.ms)}  → ${JSON.stringify(value)} ${ok(value === want)}`);
}

out();
out("Counter (go-plugin examples/bidirectional): put n 3, put n 4, get n;");
out("each put hands the plugin a broker id where the host serves AddHelper.Sum");
const cHost = { ts: nodeTs("examples/counter/host.ts"), go: [join(BIN, "counter")] };
const cPlugin = { ts: shellCommand(nodeTs("examples/counter/plugin.ts")), go: shellCommand([join(BIN, "counter-go-grpc")]) };
for (const [h, p] of COMBOS) {
  const cwd = join(scratch, `counter-${h}-${p}`);
  mkdirSync(cwd);
  const extra = { COUNTER_PLUGIN: cPlugin[p] };
  const runs = [
    await step(cHost[h], ["put", "n", "3"], cwd, extra),
    await step(cHost[h], ["put", "n", "4"], cwd, extra),
    await step(cHost[h], ["get", "n"], cwd, extra),
  ];
  // The TS side, host or plugin, logs each callback; Go↔Go does not.
  const sums = runs
    .slice(0, 2)
    .flatMap((r) => parseSumCallbacks(r.stderr))
    .map((c) => `${c.a}+${c.b}${c.brokerId === undefined ? "" : ` (id ${c.brokerId})`}`);
  const got = runs[2]!.stdout.trim();
  out(
    `  ${`${name(h, "host")} → ${name(p, "plugin")}`.padEnd(21)} ${runs.map((r) => ms(r.ms)).join(" ")}` +
      `  get n = ${got} ${ok(got === "7")}  ${sums.length ? `Sum ${sums.join(", ")}` : "(callback not logged)"}`,
  );
}

out();
const leftSockets = readdirSync(sockets);
const leftProcs = processesUnder(scratch);
out(
  `Left behind: ${leftSockets.length} socket(s) in sockets/ ${ok(leftSockets.length === 0)}, ` +
    `${leftProcs.length} process(es) in the scratch dir ${ok(leftProcs.length === 0)}` +
    (leftSockets.length || leftProcs.length ? `  [${[...leftSockets, ...leftProcs.map((p) => `pid ${p}`)].join(", ")}]` : ""),
);
if (failures) {
  out(`FAILED: ${failures} problem(s); scratch dir kept at ${scratch}`);
  process.exit(1);
}
rmSync(scratch, { recursive: true, force: true });
out("All 8 host/plugin pairings agree.");
