// The fault suite's long form (issue 10): start/kill cycles, SIGKILL storms,
// host SIGKILL and parser fuzzing at soak scale. Prints a table, writes
// bench/results/soak.json, exits 1 if any count that must be 0 is not.
//
//   npm run soak
//   SOAK_CYCLES=1000 SOAK_STORM=100 SOAK_HOSTS=20 SOAK_FUZZ=1000000 (the defaults)
import { cpus, loadavg } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../test/helpers.js";
import { startKillCycles } from "../test/faults/cycles.js";
import { sigkillStorm } from "../test/faults/storm.js";
import { hostDeath } from "../test/faults/host-death.js";
import { fuzzHandshake, fuzzLogLines } from "../test/faults/fuzz.js";

const n = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const CYCLES = n("SOAK_CYCLES", 1000);
const STORM = n("SOAK_STORM", 100);
const HOSTS = n("SOAK_HOSTS", 20);
const FUZZ = n("SOAK_FUZZ", 1_000_000);

interface Row {
  scenario: string;
  runs: number;
  /** The counts that must all be 0. */
  bad: Record<string, number>;
  note: string;
  seconds: number;
}
const rows: Row[] = [];
const t = () => Date.now();
const log = (s: string) => process.stderr.write(s + "\n");

for (const kind of ["go", "ts"] as const) {
  log(`cycles ${kind} × ${CYCLES}…`);
  const r = await startKillCycles({ kind, cycles: CYCLES, concurrency: 3 });
  rows.push({
    scenario: `start/kill cycles, ${kind} plugin`,
    runs: r.cycles,
    bad: { failures: r.failures, "force kills": r.forceKills, "leaked processes": r.leakedProcesses, zombies: r.zombies, "fds (net)": Math.max(0, r.fdDelta), "socket files": r.socketFiles },
    note: r.samples.join("; "),
    seconds: r.seconds,
  });
}
for (const [kind, autoMTLS] of [["go", true], ["go", false], ["ts", true], ["ts", false]] as const) {
  // TS plugins start ~20× slower than Go ones (tsx): a quarter of the trials.
  const trials = kind === "ts" ? Math.ceil(STORM / 4) : STORM;
  log(`storm ${kind} mtls=${autoMTLS} × ${trials}…`);
  const t0 = t();
  const r = await sigkillStorm({ kind, autoMTLS, trials });
  const exitMs = [...r.exitMs].sort((a, b) => a - b);
  rows.push({
    scenario: `SIGKILL storm, ${kind} plugin${autoMTLS ? ", AutoMTLS" : ""}`,
    runs: r.trials,
    bad: { "hung calls": r.hung, "wrong codes": r.wrongCode, "unnamed exits": r.unnamed, "hung kills": r.hungKills },
    note: `${r.calls} calls; exit noticed p50 ${exitMs[exitMs.length >> 1]} ms, max ${exitMs.at(-1)} ms${r.samples.length ? "; " + r.samples.join("; ") : ""}`,
    seconds: (t() - t0) / 1000,
  });
}
for (const mtls of [false, true]) {
  log(`host SIGKILL mtls=${mtls} × ${HOSTS}…`);
  const t0 = t();
  const r = await hostDeath({ trials: HOSTS, mtls });
  rows.push({
    scenario: `host SIGKILL with a Go and a TS plugin${mtls ? ", AutoMTLS" : ""}`,
    runs: r.trials,
    bad: { orphans: r.orphans, "leftover reapers": r.leftoverHelpers },
    note: `slowest: all gone ${r.maxGoneMs} ms after the kill${r.samples.length ? "; " + r.samples.join("; ") : ""}`,
    seconds: (t() - t0) / 1000,
  });
}
for (const fuzz of [fuzzHandshake, fuzzLogLines]) {
  log(`fuzz ${fuzz.name} × ${FUZZ}…`);
  const r = fuzz(FUZZ);
  rows.push({ scenario: `fuzz: ${r.parser} parser`, runs: r.cases, bad: { "foreign errors": r.failures }, note: r.counterexample ?? "", seconds: r.seconds });
}

const failed = rows.filter((r) => Object.values(r.bad).some((v) => v !== 0));
const md = [
  "| scenario | runs | counted (all must be 0) | notes | s |",
  "|---|---:|---|---|---:|",
  ...rows.map((r) => `| ${r.scenario} | ${r.runs} | ${Object.entries(r.bad).map(([k, v]) => `${k} ${v}`).join(", ")} | ${r.note.replace(/\|/g, "\\|")} | ${r.seconds.toFixed(0)} |`),
].join("\n");
const out = join(ROOT, "bench", "results");
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, "soak.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), counts: { CYCLES, STORM, HOSTS, FUZZ }, passed: failed.length === 0, rows }, null, 2) + "\n",
);
console.log(md);
console.log(failed.length ? `\nFAILED: ${failed.map((r) => r.scenario).join("; ")}` : "\nall counts 0");
process.exit(failed.length ? 1 : 0);
