// Reattach and test mode (go-plugin's ReattachConfig and ServeTestConfig), both ways against Go.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { Client, createClient, discardLogger, parseReattachConfig, PluginError, type Channel, type ClientOf, type ReattachConfig } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { goPluginCmd, processAlive, ROOT, runGoHost, TEST_HANDSHAKE, tsPluginCmd } from "./helpers.js";

type Kind = "go" | "ts";
const plugins = { test: { grpcClient: ({ channel }: { channel: Channel }) => createClient(Test, channel) } };

function reattachClient(rc: ReattachConfig) {
  return new Client({ handshakeConfig: TEST_HANDSHAKE, plugins, reattach: rc, logger: discardLogger });
}

/** Starts a plugin in test mode as a debugger would (no host, no cookie) and reads its reattach line. */
async function startTestMode(kind: Kind): Promise<{ child: ChildProcess; line: string; rc: ReattachConfig; exit: Promise<number | null> }> {
  const cmd = kind === "go" ? goPluginCmd("-test-mode") : tsPluginCmd("--test-mode");
  const env = { ...process.env };
  delete env[TEST_HANDSHAKE.magicCookieKey];
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "ignore"] });
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`no reattach line from the ${kind} plugin within 30 s`)), 30_000);
    // The TS fixture's noisy module prints before serve(); the reattach config is the JSON line.
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l, i, all) => i < all.length - 1 && l.startsWith('{"Protocol"'));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
  return { child, line, rc: parseReattachConfig(line), exit };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each<Kind>(["go", "ts"])("TS host reattaching to a %s plugin in test mode", (kind) => {
  test("calls work; kill() leaves the plugin running; its own end is seen by the pid watch", async () => {
    const p = await startTestMode(kind);
    try {
      expect(p.rc).toMatchObject({ protocol: "grpc", protocolVersion: 1, pid: p.child.pid, test: true });
      expect(existsSync(p.rc.addr.address)).toBe(true);

      const first = reattachClient(p.rc);
      const t = await first.dispense<ClientOf<typeof Test>>("test");
      expect((await t.double({ Input: 21 })).Output).toBe(42);
      await first.ping();
      expect(first.negotiatedVersion).toBe(1);
      expect(first.pid).toBe(p.child.pid);
      expect(first.reattachConfig()).toEqual(p.rc);
      await first.kill();
      // go-plugin: Kill() on a test-mode plugin is a no-op.
      expect(processAlive(p.child.pid)).toBe(true);

      const second = reattachClient(p.rc);
      await second.ping();
      expect(second.exited).toBe(false);
      // The plugin ends itself (its test context is cancelled): the attached client sees it go.
      p.child.kill("SIGTERM");
      expect(await p.exit).toBe(0);
      await waitFor(() => second.exited, 5000);
      await second.done;
      await expect(second.ping()).rejects.toMatchObject({ code: 14 });
      await second.kill();
      expect(existsSync(p.rc.addr.address)).toBe(false);
    } finally {
      p.child.kill("SIGKILL");
    }
  });
});

describe.each<Kind>(["go", "ts"])("TS host reattaching to a %s plugin another host started", (kind) => {
  test("reattachConfig() of the starter works for a second client, whose kill() shuts the plugin down", async () => {
    const starter = new Client({
      handshakeConfig: TEST_HANDSHAKE,
      plugins,
      cmd: kind === "go" ? goPluginCmd() : tsPluginCmd(),
      stdin: "ignore",
      logger: discardLogger,
    });
    try {
      expect(starter.reattachConfig()).toBeUndefined();
      await starter.start();
      const rc = starter.reattachConfig()!;
      expect(rc).toEqual({ protocol: "grpc", addr: starter.address, pid: starter.pid });
      const attached = reattachClient(rc);
      await attached.ping();
      // Not test mode: go-plugin leaves the negotiated version at 0.
      expect(attached.negotiatedVersion).toBe(0);
      await attached.kill();
      expect(attached.exited).toBe(true);
      await starter.done;
      expect(processAlive(rc.pid)).toBe(false);
    } finally {
      await starter.kill();
    }
  });
});

describe.each<Kind>(["ts", "go"])("Go host reattaching to a %s plugin in test mode", (kind) => {
  test("Go's client calls it, Kill() leaves it serving, SIGTERM ends it", async () => {
    const p = await startTestMode(kind);
    try {
      const r = await runGoHost(["-reattach", p.line, "-scenario", "reattach"]);
      expect(r.error).toBe("");
      expect(r.ok).toBe(true);
      expect(r.double).toBe(42);
      expect(r.negotiated).toBe(1);
      expect(r.reattach_config).toEqual(JSON.parse(p.line));
      expect(r.ping_after_kill).toBe(true);
      expect(processAlive(p.child.pid)).toBe(true);
      expect(r.exited).toBe(false);
      p.child.kill("SIGTERM");
      expect(await p.exit).toBe(0);
      expect(existsSync(p.rc.addr.address)).toBe(false);
    } finally {
      p.child.kill("SIGKILL");
    }
  });
});

test("serve() given a signal that aborted before it bound stops at once and exits cleanly", async () => {
  const cmd = tsPluginCmd("--test-mode", "--aborted-signal");
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  clearTimeout(timer);
  expect(code).toBe(0);
  expect(out).toMatch(/^\{"Protocol"/m);
  expect(existsSync(parseReattachConfig(out.split("\n").find((l) => l.startsWith('{"Protocol"'))!).addr.address)).toBe(false);
});

describe("reattach errors", () => {
  test("nothing listening at the address: go-plugin's ErrProcessNotFound, nothing killed", async () => {
    const c = reattachClient({ protocol: "grpc", addr: { network: "unix", address: "/tmp/no-such-plugin-socket" }, pid: process.pid });
    const err = await c.start().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe("PROCESS_NOT_FOUND");
    expect(err.message).toBe("reattachment process not found");
    await c.kill();
    expect(processAlive(process.pid)).toBe(true);
  });

  test("reattach with SecureConfig or broker multiplexing is refused with go-plugin's errors", async () => {
    const rc: ReattachConfig = { protocol: "grpc", addr: { network: "unix", address: "/tmp/x" }, pid: 1 };
    const base = { handshakeConfig: TEST_HANDSHAKE, plugins, reattach: rc, logger: discardLogger };
    await expect(new Client({ ...base, secureConfig: { checksum: "00", hash: "sha256" } }).start()).rejects.toThrow(
      "only one of Reattach or SecureConfig can be set",
    );
    await expect(new Client({ ...base, grpcBrokerMultiplex: true }).start()).rejects.toThrow(
      "gRPC broker multiplexing is not supported with Reattach config",
    );
    expect(() => new Client({ handshakeConfig: TEST_HANDSHAKE, plugins })).toThrow("exactly one of cmd or reattach must be set");
  });
});
