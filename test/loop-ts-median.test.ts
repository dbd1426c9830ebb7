// The TypeScript median LOOP plugin (test/fixtures/loop/median-plugin.ts) driven by
// chainlink-common v0.11.1's real Go host code (interop/.bin/loop-host:
// loop.NewRelayerService + loop.NewMedianService on the public API) through a
// full median round, with the relayer played by the Go test plugin. The TS
// plugin checks everything the Go host hands it; the Go host checks everything
// the TS plugin answers.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { nodeTs } from "../examples/support.js";
import * as F from "../examples/loop/fixtures.js";
import { BIN, processAlive, processesMatching, ROOT } from "./helpers.js";

const LOOP_HOST = join(BIN, "loop-host");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface HostRun {
  result: Record<string, any>;
  code: number | null;
  stderr: string;
  /** Pids the Go host logged for the plugins it started (`-v`). */
  pluginPids: number[];
}

/**
 * Runs loop-host with the TS median plugin. The child gets no PATH or HOME (the
 * LOOP host sets SkipHostEnv), so the command is all absolute paths: node, tsx's
 * loader as a file URL, the script. loop-host splits it on spaces; the trailing
 * marker argument (ignored by the plugin) makes this run's processes findable.
 */
function runLoopHost(extra: string[] = []): Promise<HostRun & { marker: string }> {
  const marker = `ts-median-run-${randomUUID()}`;
  const medianCmd = [...nodeTs("test/fixtures/loop/median-plugin.ts"), marker];
  for (const a of medianCmd) if (/\s/.test(a)) throw new Error(`median command argument has whitespace: ${a}`);
  return new Promise((resolve, reject) => {
    execFile(
      LOOP_HOST,
      ["-v", "-median-cmd", medianCmd.join(" "), ...extra],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const last = stdout.trim().split("\n").pop() ?? "";
        let result: Record<string, any>;
        try {
          result = JSON.parse(last);
        } catch {
          reject(new Error(`loop-host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`));
          return;
        }
        const pluginPids = [...stderr.matchAll(/"msg":"plugin started".*?"pid":(\d+)/g)].map((m) => Number(m[1]));
        resolve({ result, code: typeof err?.code === "number" ? err.code : err ? null : 0, stderr, pluginPids, marker });
      },
    );
  });
}

/** The host's relayed log lines that the TS plugin wrote (logger names under the median client). */
function tsPluginLogLines(stderr: string): Array<Record<string, any>> {
  return stderr
    .split("\n")
    .filter((l) => l.includes("tsMedianFactoryServer"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

describe("TS median LOOP plugin × Go LOOP host (chainlink-common v0.11.1)", () => {
  test("a full median round: the Go host accepts every answer of the TS plugin", async () => {
    const run = await runLoopHost();
    const r = run.result;
    const failed = (r.steps as Array<{ name: string; ok: boolean; detail: string }>).filter((s) => !s.ok);
    expect(failed).toEqual([]);
    expect(r.error).toBe("");
    expect(r.ok).toBe(true);
    expect(run.code).toBe(0);

    // The command really was the TS plugin.
    expect(r.median_cmd).toEqual([...nodeTs("test/fixtures/loop/median-plugin.ts"), run.marker]);
    expect(r.reporting_plugin_info).toEqual({
      name: "test",
      unique_reports: true,
      max_query_length: 42,
      max_observation_length: 13,
      max_report_length: 17,
    });
    expect(r.query_hex).toBe(hex(F.QUERY));
    expect(r.observation_hex).toBe(hex(F.OBSERVATION));
    expect(r.should_report).toBe(true);
    expect(r.report_hex).toBe("00".repeat(42) + "65");
    expect(r.report_hex).toBe(hex(F.REPORT));
    expect(r.should_accept).toBe(true);
    expect(r.should_transmit).toBe(true);
    // NewMedianFactory in the TS plugin observed each data source once and saved the error.
    expect(r.errorlog_messages).toEqual([F.SAVED_ERROR]);
    expect(r.datasource_calls).toEqual({ DataSource: 1, JuelsPerFeeCoinDataSource: 1, GasPriceSubunitsDataSource: 1 });
    expect(r.provider_contract_reader).toBe(true);

    // Health comes from the TS plugin's loop.Service (main connection), named as it names itself.
    expect(r.health).toMatchObject({
      MedianService: "",
      "MedianService.PluginMedianClient": "",
      "MedianService.PluginMedianClient.tsMedianFactoryServer": "",
      "MedianService.PluginMedianClient.tsMedianFactoryServer.tsReportingPluginFactory": "",
    });
    expect(Object.keys(r.health).some((k) => k.includes("staticMedianFactoryServer"))).toBe(false);

    // The plugin's hclog lines reached the Go host under their `logger` names.
    const logs = tsPluginLogLines(run.stderr);
    expect(logs.some((l) => l.logger === "MedianService.PluginMedianClient.tsMedianFactoryServer" && l.msg === "NewMedianFactory: every value checked")).toBe(true);
    expect(logs.some((l) => l.logger === "MedianService.PluginMedianClient.tsMedianFactoryServer.tsReportingPluginFactory" && l.msg === "NewReportingPlugin")).toBe(true);

    // Nothing outlives the host.
    expect(r.leftover_children).toBe(0);
    expect(run.pluginPids.length).toBe(2);
    for (const pid of run.pluginPids) expect(processAlive(pid)).toBe(false);
    expect(processesMatching(run.marker)).toEqual([]);
  });

  test("a mismatch the TS plugin sees reaches the Go host as UNKNOWN with the plugin's text", async () => {
    // The plugin is told to expect contract 0x43; the host sends 0x42. The Go
    // host retries NewMedianFactory until its deadline, so keep that short.
    // Long enough for the first attempt even on a loaded machine; the deadline then lands in a backoff pause.
    const run = await runLoopHost(["-env", "TS_MEDIAN_EXPECT_CONTRACT=0x43", "-timeout", "15s"]);
    const r = run.result;
    const text = 'NewMedianFactory: contractId: expected "0x43", got "0x42"';
    expect(r.ok).toBe(false);
    expect(run.code).toBe(1);
    // Go retries until its deadline, so the final error may be the deadline; every attempt is in the log.
    expect(r.error + run.stderr).toContain(`rpc error: code = Unknown desc = ${text}`);
    const step = (r.steps as Array<{ name: string; ok: boolean; detail: string }>).find((s) => s.name === "new_reporting_plugin");
    expect(step?.ok).toBe(false);
    expect((step?.detail ?? "") + run.stderr).toContain(text);
    // Everything before the contract id passed (the provider checks), nothing after it ran.
    expect(r.errorlog_messages).toEqual([]);
    expect(r.datasource_calls).toEqual({ DataSource: 0, JuelsPerFeeCoinDataSource: 0, GasPriceSubunitsDataSource: 0 });
    // The plugin logged the failure itself too.
    expect(tsPluginLogLines(run.stderr).some((l) => l.msg === "NewMedianFactory failed" && l.error === text)).toBe(true);

    expect(r.leftover_children).toBe(0);
    for (const pid of run.pluginPids) expect(processAlive(pid)).toBe(false);
    expect(processesMatching(run.marker)).toEqual([]);
  });
});
