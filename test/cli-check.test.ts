// `go-plugin-ts check` against real plugins (go-plugin's KV example and the Go test plugin, built
// from the Go module proxy), the TS test plugin, and a hand-built plugin with one fault per check.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CheckReport, CheckStatus } from "../src/cli/check.js";
import { BIN, GO_PLUGIN, ROOT, TS_PLUGIN } from "./helpers.js";



const T = 120_000;
const COOKIE = ["--cookie", "TEST_MAGIC_COOKIE=test"];
const BROKEN = join(ROOT, "test", "fixtures", "broken-plugin.ts");

function check(args: string[]): Promise<{ status: number; report?: CheckReport; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "check", ...args],
      { cwd: ROOT, timeout: 90_000 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        let report: CheckReport | undefined;
        try {
          report = JSON.parse(stdout);
        } catch {
          // table output or a usage error
        }
        resolve({ status, report, stdout, stderr });
      },
    );
  });
}

const statuses = (r: CheckReport) => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
const failed = (r: CheckReport) => r.checks.filter((c) => c.status === "fail").map((c) => c.id);
const detail = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)?.detail ?? "";

function expectHealthy(r: CheckReport, extra: Record<string, CheckStatus> = {}) {
  // Failed checks with their details, so a failure says which check and why.
  expect(r.checks.filter((c) => c.status === "fail")).toEqual([]);
  expect(r.ok).toBe(true);
  expect(statuses(r)).toMatchObject({
    stdout: "pass",
    handshake: "pass",
    version: "pass",
    transport: "pass",
    health: "pass",
    shutdown: "pass",
    socket: "pass",
    processes: "pass",
    ...extra,
  });
  expect(r.exitCode).toBe(0);
  expect(r.startMs).toBeGreaterThan(0);
  expect(r.shutdownMs).toBeGreaterThanOrEqual(0);
  expect(existsSync(r.transport!.address)).toBe(false);
}

describe("check: real plugins pass", () => {
  test("go-plugin's examples/grpc KV plugin (Go)", async () => {
    const { status, report } = await check(["--json", "--cookie", "BASIC_PLUGIN=hello", "--", join(BIN, "kv-go-grpc")]);
    expectHealthy(report!, { stdio: "pass", broker: "pass", automtls: "skip" });
    expect(status).toBe(0);
    expect(report!.transport!.network).toBe("unix");
    expect(report!.handshakeLine).toMatch(/^1\|1\|unix\|\/.+\|grpc\|$/);
  }, T);

  test("the Go test plugin with AutoMTLS: its certificate fits go-plugin's profile", async () => {
    const { status, report } = await check(["--json", "--automtls", ...COOKIE, "--", GO_PLUGIN]);
    expectHealthy(report!, { automtls: "pass", "handshake.cert": "pass", stdio: "pass", broker: "pass" });
    expect(status).toBe(0);
    expect(detail(report!, "automtls")).toContain("EC P-521");
  }, T);

  test("the TS test plugin, AutoMTLS, version 3 negotiated from 2,3 against 1..4", async () => {
    const { status, report } = await check([
      "--json", "--automtls", "--versions", "2,3", "--grace", "10000", ...COOKIE, "--",
      process.execPath, "--import", "tsx", TS_PLUGIN, "--versions", "1,2,3,4",
    ]);
    expectHealthy(report!, { automtls: "pass", stdio: "pass", broker: "pass" });
    expect(status).toBe(0);
    expect(report!.negotiatedVersion).toBe(3);
  }, T);

  test("the table output names every check and ends with the verdict", async () => {
    const { status, stdout } = await check([...COOKIE, "--", GO_PLUGIN]);
    expect(status).toBe(0);
    for (const id of ["stdout", "handshake.core", "handshake", "version", "transport", "health", "stdio", "broker", "shutdown", "socket", "processes", "times"]) {
      expect(stdout).toMatch(new RegExp(`^(ok|-)\\s+${id.replace(".", "\\.")}\\s`, "m"));
    }
    expect(stdout.trim().endsWith("all checks passed")).toBe(true);
  }, T);
});

describe("check: one deliberate fault per check fails it", () => {
  test("the fault-free build passes, with stdio and broker reported as not offered", async () => {
    // A tsx-run plugin exits slower than a built one under a loaded CI worker: a 10 s grace keeps the
    // Shutdown check about honouring Shutdown, not about start-up cost of the exit path.
    const { status, report } = await check(["--json", "--grace", "10000", ...COOKIE, "--", process.execPath, "--import", "tsx", BROKEN, "none"]);
    expectHealthy(report!, { stdio: "warn", broker: "warn" });
    expect(status).toBe(0);
  }, T);

  const cases: [fault: string, flags: string[], fails: string[], says: string][] = [
    ["stdout", [], ["stdout"], "starting up..."],
    ["protocol", [], ["handshake.protocol", "handshake"], 'unsupported plugin protocol "netrpc"'],
    ["version", ["--versions", "1,2"], ["handshake.app", "handshake"], "incompatible API version with plugin. Plugin version: 7"],
    ["nocert", ["--automtls"], ["handshake.cert", "automtls"], "no certificate"],
    ["expiredcert", ["--automtls"], ["automtls"], "not valid now"],
    ["health", [], ["health"], "NOT_SERVING"],
    ["noshutdown", ["--grace", "1000"], ["shutdown"], "still running 1000 ms after GRPCController/Shutdown; killed"],
    ["exitcode", [], ["shutdown"], "exit 3"],
    ["socket", [], ["socket"], "left its socket"],
    ["processes", [], ["processes"], "still running after it exited"],
  ];
  test.each(cases)("%s", async (fault, flags, fails, says) => {
    const { status, report } = await check(["--json", ...flags, ...COOKIE, "--", process.execPath, "--import", "tsx", BROKEN, fault]);
    expect(status).toBe(1);
    expect(report!.ok).toBe(false);
    expect(failed(report!)).toEqual(fails);
    expect(report!.checks.find((c) => c.id === fails.at(-1))!.detail).toContain(says);
    // Whatever the fault, nothing is left behind once the check is done.
    const f = report!.handshakeLine?.split("|");
    if (f?.[2] === "unix") expect(existsSync(f[3]!)).toBe(false);
    expect(statuses(report!).processes).toBe(fault === "processes" ? "fail" : "pass");
  }, T);

  test("a wrong magic cookie: the plugin's stderr is recognised and the cookie named", async () => {
    const { status, report } = await check(["--json", "--cookie", "BASIC_PLUGIN=wrong", "--", join(BIN, "kv-go-grpc")]);
    expect(status).toBe(1);
    expect(failed(report!)).toEqual(["handshake"]);
    expect(detail(report!, "handshake")).toContain("exited (1) before writing a handshake line");
    expect(detail(report!, "handshake")).toContain("magic cookie BASIC_PLUGIN=wrong is not the one it expects");
    expect(report!.stderrTail.join("\n")).toContain("This binary is a plugin");
  }, T);

  test("a command that does not exist", async () => {
    const { status, report } = await check(["--json", ...COOKIE, "--", "/nonexistent/plugin"]);
    expect(status).toBe(1);
    expect(failed(report!)).toEqual(["handshake"]);
    expect(detail(report!, "handshake")).toBe('could not start "/nonexistent/plugin": spawn /nonexistent/plugin ENOENT');
    expect(detail(report!, "times")).toBe("never started");
  }, T);

  test("usage errors exit 2 and say what is wrong", async () => {
    const noCookie = await check(["--", GO_PLUGIN]);
    expect(noCookie.status).toBe(2);
    expect(noCookie.stderr).toContain("--cookie KEY=VALUE is required");
    const noCommand = await check(COOKIE);
    expect(noCommand.status).toBe(2);
    expect(noCommand.stderr).toContain("no plugin command after --");
  }, T);
});
