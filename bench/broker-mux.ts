// broker_dial_us with broker multiplexing on (GRPCBrokerMultiplex, yamux) beside socket mode, for the
// four host->plugin pairs: the time from broker.Dial(id) to the first 16 B Echo on it (median of 20),
// interleaved over `rounds`. Writes bench/results/broker-mux.json and prints a table.
//   npm run bench:broker-mux [-- --rounds 3]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBundles, goVersion, pluginCommand, ROOT, runHost, Sandbox, type Side } from "./lib.js";

const PAIRS: Array<[Side, Side]> = [
  ["go", "go"],
  ["ts", "go"],
  ["go", "ts"],
  ["ts", "ts"],
];
const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] || 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : null;
};

buildBundles();
const sandbox = new Sandbox();
const samples = new Map<string, number[]>();
const errors: string[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const [host, plugin] of PAIRS) {
      for (const mux of [false, true]) {
        const key = `${host}->${plugin}/${mux ? "mux" : "sockets"}`;
        const args = ["-cmd", pluginCommand(plugin), "-scenario", "bench", "-payload", "16", "-n", "200", "-warmup", "50"];
        const r = await runHost(sandbox, host, mux ? [...args, "-mux"] : args);
        const v = typeof r.broker_dial_us === "number" ? r.broker_dial_us : null;
        if (!r.ok || v === null) errors.push(`${key} round ${round + 1}: ${r.error || "no broker_dial_us"}`);
        else samples.set(key, [...(samples.get(key) ?? []), v]);
        process.stderr.write(`${key} round ${round + 1}: broker_dial_us ${v ?? "ERR " + r.error}\n`);
        await sandbox.check(key);
      }
    }
  }
} finally {
  sandbox.dispose();
}
const rows = PAIRS.map(([h, p]) => {
  const pair = `${h}->${p}`;
  return {
    pair,
    broker_dial_us: median(samples.get(`${pair}/sockets`) ?? []),
    broker_dial_us_mux: median(samples.get(`${pair}/mux`) ?? []),
  };
});
const result = {
  measured: new Date().toISOString(),
  node: process.version,
  go: goVersion(),
  rounds,
  conditions: "shared 2-core machine, other work running; medians over rounds of each run's median of 20 dials",
  rows,
  errors,
};
writeFileSync(join(ROOT, "bench", "results", "broker-mux.json"), JSON.stringify(result, null, 2) + "\n");
console.log("| pair | broker_dial_us (sockets) | broker_dial_us (mux) |\n|---|---|---|");
for (const r of rows) console.log(`| ${r.pair} | ${r.broker_dial_us ?? "—"} | ${r.broker_dial_us_mux ?? "—"} |`);
if (errors.length) {
  console.error(errors.join("\n"));
  process.exitCode = 1;
}
