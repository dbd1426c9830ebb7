import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// go-plugin v1.8.0's own Go host (interop/cmd/testhost) driving the TypeScript plugin.
import { runGoHost, tsPluginShell } from "./helpers.js";

type LogLine = { level: string; name: string; msg: string; args: Record<string, unknown> };
const pluginLogs = (r: Record<string, any>): LogLine[] => (r.logs as LogLine[]).filter((l) => l.name === "host.sh");

describe("Go host × TS plugin", () => {
  test("handshake, Double, Ping, PrintKV, stdio, streaming, graceful Kill", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell(), "-scenario", "basic"]);
    expect(r.error).toBe("");
    expect(r).toMatchObject({
      ok: true,
      negotiated: 1,
      protocol: "grpc",
      double: 42,
      ping: null,
      pingpong: "pong",
      stdout: "hello\nworld!",
      stderr: "and some error\n messages!",
      stream: [21, 22, 23, 24, 25, 26],
      killed_gracefully: true,
      exited: true,
      group_killed: false,
    });
    // Shutdown → exit well inside go-plugin's 2 s grace.
    expect(r.kill_ms).toBeLessThan(2000);
    const kv = pluginLogs(r).find((l) => l.msg === "PrintKV called");
    expect(kv).toMatchObject({ level: "info", args: { hello: "world" } });
    // No host-side errors on a clean run (go-plugin's TestClient_noStdoutScannerRace).
    expect(r.logs.filter((l: LogLine) => l.level === "error")).toEqual([]);
  });

  test("hclog JSON log levels reach the Go host's logger unchanged, timestamps parsed", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell("--log-levels"), "-scenario", "start"]);
    expect(r.ok).toBe(true);
    const logs = pluginLogs(r);
    for (const level of ["trace", "debug", "info", "warn", "error"]) {
      const l = logs.find((x) => x.msg === `level ${level}`);
      expect(l).toMatchObject({ level, args: { n: 1 } });
      // go-plugin adds the parsed @timestamp; a failed parse would give Go's zero time.
      expect(String(l!.args.timestamp)).not.toContain("0001-01-01");
    }
    // Text printed by a module at import time went to stderr, not to the handshake channel.
    expect(logs.find((x) => x.msg === "noisy module loaded")).toMatchObject({ level: "debug" });
  });

  test("version negotiation: the highest version both sides have", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell("--versions", "1,2,3,4"), "-versions", "2,3", "-scenario", "basic"]);
    expect(r.error).toBe("");
    expect(r.negotiated).toBe(3);
    expect(r.double).toBe(42);
  });

  test("no common version: Go's own error, and the plugin is gone", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell("--versions", "3"), "-versions", "2", "-scenario", "start"]);
    expect(r.ok).toBe(false);
    expect(r.error).toBe("incompatible API version with plugin. Plugin version: 3, Client versions: [2]");
  });

  test("wrong cookie: the TS plugin refuses with go-plugin's text and exit status 1", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell(), "-cookie-value", "wrong", "-scenario", "start"]);
    expect(r.ok).toBe(false);
    expect(r.error).toContain("Unrecognized remote plugin message");
    const text = pluginLogs(r).map((l) => l.msg).join("\n");
    expect(text).toContain("This binary is a plugin. These are not meant to be executed directly.");
    expect(r.logs.some((l: LogLine) => l.msg === "plugin process exited" && String(l.args.error).includes("exit status 1"))).toBe(true);
  });

  test("a plugin-side error reaches the Go caller as a status with its message", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell(), "-scenario", "panic"]);
    expect(String(r.panic_error)).toContain("panic: boom");
  });
});

describe("Go host × TS plugin: shutdown", () => {
  test("graceful Kill removes the plugin's socket file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gohost-"));
    try {
      const r = await runGoHost(["-cmd", tsPluginShell(), "-scenario", "basic"], { PLUGIN_UNIX_SOCKET_DIR: dir });
      expect(r.ok).toBe(true);
      expect(r.killed_gracefully).toBe(true);
      // The socket lived in `dir` (go-plugin passes the host's environment on).
      expect(r.logs.some((l: LogLine) => l.msg === "plugin address" && String(l.args.address).startsWith(dir))).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a TS plugin that ignores Shutdown is force-killed after go-plugin's grace period", async () => {
    const r = await runGoHost(["-cmd", tsPluginShell("--ignore-shutdown"), "-scenario", "basic"]);
    expect(r.double).toBe(42);
    expect(r.killed_gracefully).toBe(false);
    expect(r.logs.some((l: LogLine) => l.msg === "plugin failed to exit gracefully")).toBe(true);
    expect(r.kill_ms).toBeGreaterThanOrEqual(2000);
    expect(r.exited).toBe(true);
  });
});
