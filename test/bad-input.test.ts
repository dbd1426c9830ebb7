import { tmpdir } from "node:os";
// Bad input from either side: each case fails with an error that says what went
// wrong, and leaves no process or socket behind.
import { existsSync } from "node:fs";
import { Client, Code, createClient, PluginError, type ClientConfig } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { collectingLogger, goPluginCmd, processAlive, ROOT, TEST_HANDSHAKE, tsPluginCmd } from "./helpers.js";

const plugins = { test: { grpcClient: () => ({}) } };

function client(cmd: ClientConfig["cmd"], extra: Partial<ClientConfig> = {}) {
  return new Client({ handshakeConfig: TEST_HANDSHAKE, plugins, cmd, stdin: "ignore", logger: collectingLogger(), unixSocketConfig: { tempDir: tmpdir() }, ...extra });
}

/** Starts `c`, expecting failure; checks the process is gone and returns the error. */
async function startFails(c: Client): Promise<PluginError> {
  const err = await c.start().then(
    () => undefined,
    (e) => e,
  );
  try {
    if (!(err instanceof PluginError)) throw err;
    expect(err).toBeInstanceOf(PluginError);
    expect(processAlive(c.pid)).toBe(false);
  } finally {
    await c.kill();
  }
  return err as PluginError;
}

/** A fake plugin that prints `line` and then waits, in its own process group with `sleep`. */
const fakePlugin = (line: string) => ({ command: "sh", args: ["-c", `printf '%s\\n' "$0"; exec sleep 30`, line] });

describe("handshake lines, every field wrong in turn (TS host)", () => {
  const cert = (pad: boolean) => {
    const b64 = Buffer.alloc(60, 1).toString("base64");
    return pad ? b64 + "=" : b64.replace(/=+$/, "");
  };
  test.each<[string, string, string]>([
    ["too few fields", "1|1|unix", "Unrecognized remote plugin message: 1|1|unix"],
    ["core version not a number", "x|1|unix|/tmp/p|grpc|", 'error parsing core protocol version: invalid syntax "x"'],
    ["core version not 1", "2|1|unix|/tmp/p|grpc|", "incompatible core API version with plugin. Plugin version: 2, Core version: 1"],
    ["app version not a number", "1|y|unix|/tmp/p|grpc|", 'Error parsing protocol version "y"'],
    ["app version not offered", "1|7|unix|/tmp/p|grpc|", "incompatible API version with plugin. Plugin version: 7, Client versions: [1]"],
    ["unknown network", "1|1|udp|/tmp/p|grpc|", "unknown address type: /tmp/p"],
    ["bad tcp address", "1|1|tcp|nohost|grpc|", 'invalid tcp address "nohost"'],
    ["netrpc protocol", "1|1|unix|/tmp/p|netrpc|", 'unsupported plugin protocol "netrpc". Supported: [grpc]'],
    ["protocol missing means netrpc", "1|1|unix|/tmp/p", 'unsupported plugin protocol "netrpc"'],
    ["padded certificate", `1|1|unix|/tmp/p|grpc|${cert(true)}`, "error parsing server cert: illegal base64 data at input byte 80"],
    ["certificate that is not X.509", `1|1|unix|/tmp/p|grpc|${cert(false)}`, "error parsing server cert:"],
  ])("%s", async (_name, line, message) => {
    const c = client(fakePlugin(line));
    const err = await startFails(c);
    expect(err.message).toContain(message);
    // The offending line is named.
    expect(err.message).toContain(line.slice(0, 20));
  });

  test("a short certificate field (≤ 50 chars) is ignored, as go-plugin does", async () => {
    const c = client(fakePlugin("1|1|unix|/tmp/does-not-exist-gpt|grpc|c2hvcnQ"));
    try {
      await expect(c.start()).resolves.toEqual({ network: "unix", address: "/tmp/does-not-exist-gpt" });
    } finally {
      await c.kill();
    }
  });
});

describe.each<["go" | "ts"]>([["go"], ["ts"]])("%s plugin, bad start", (kind) => {
  const cmd = (...a: string[]) => (kind === "go" ? goPluginCmd(...a.map((x) => x.replace(/^--/, "-"))) : tsPluginCmd(...a));

  test("wrong cookie: exit code 1 and go-plugin's message in the error", async () => {
    const err = await startFails(client(cmd(), { handshakeConfig: { ...TEST_HANDSHAKE, magicCookieValue: "nope" } }));
    expect(err.code).toBe("EXITED_BEFORE_HANDSHAKE");
    expect(err.message).toContain("exit code 1");
    expect(err.message).toContain("This binary is a plugin. These are not meant to be executed directly.");
    expect(err.message).toMatch(/\nhint: \S+ says it was run directly/);
    expect(err.message).toContain("this host sets TEST_MAGIC_COOKIE=nope");
  });

  test("missing cookie (the host's key is another)", async () => {
    const err = await startFails(client(cmd(), { handshakeConfig: { ...TEST_HANDSHAKE, magicCookieKey: "OTHER_COOKIE" } }));
    expect(err.code).toBe("EXITED_BEFORE_HANDSHAKE");
    expect(err.message).toContain("This binary is a plugin");
    expect(err.message).toContain("this host sets OTHER_COOKIE=test");
  });

  test("a plugin exiting for another reason gets no cookie hint", async () => {
    const err = await startFails(client(cmd("--exit-before", "3")));
    expect(err.message).not.toContain("hint:");
  });

  test("text printed to stdout before the handshake line", async () => {
    const err = await startFails(client(cmd("--" + (kind === "go" ? "print-before" : "raw-print-before"), "Hello from main()")));
    expect(err.code).toBe("UNRECOGNIZED_HANDSHAKE");
    expect(err.message).toContain("Unrecognized remote plugin message: Hello from main()");
  });

  test("plugin exits before the handshake: exit code and last stderr lines", async () => {
    const err = await startFails(client(cmd("--exit-before", "3")));
    expect(err.code).toBe("EXITED_BEFORE_HANDSHAKE");
    expect(err.message).toContain("exit code 3");
    expect(err.message).toContain("fatal: exiting before handshake");
    expect(err.message).toContain("second line");
  });

  test("start timeout", async () => {
    const c = client(cmd("--hang"), { startTimeoutMs: 700 });
    const t0 = Date.now();
    const err = await startFails(c);
    expect(err.code).toBe("START_TIMEOUT");
    expect(err.message).toContain("timeout while waiting for plugin to start");
    expect(err.message).toContain("700 ms");
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe("other failures", () => {
  test("a command that cannot run names its path", async () => {
    const logger = collectingLogger();
    const err = await startFails(client({ command: "/nonexistent/plugin-binary" }, { logger }));
    expect(err.code).toBe("SPAWN_FAILED");
    expect(err.message).toBe("error starting plugin /nonexistent/plugin-binary: spawn /nonexistent/plugin-binary ENOENT");
    // It never ran: no pid, no exit status, no note about its stderr.
    const failedLog = logger.entries.find((e) => e.message === "plugin failed to start");
    expect(failedLog?.args).toEqual({ plugin: "/nonexistent/plugin-binary", error: "spawn /nonexistent/plugin-binary ENOENT" });
    expect(JSON.stringify(logger.entries)).not.toMatch(/undefined|exit code null|process exited/);
  });

  test("a dial to a dead socket fails with UNAVAILABLE naming the path", async () => {
    const path = "/tmp/gpt-dead-socket-" + process.pid;
    const c = client(fakePlugin(`1|1|unix|${path}|grpc|`));
    try {
      await c.start();
      expect(existsSync(path)).toBe(false);
      const err = await c.ping().catch((e) => e);
      expect(err.code).toBe(Code.UNAVAILABLE);
      expect(err.message).toContain(path);
    } finally {
      await c.kill();
    }
    expect(processAlive(c.pid)).toBe(false);
  });
});

describe("a plugin without go-plugin's internal services (like go-plugin's Python example)", () => {
  test("missing GRPCStdio and GRPCBroker are tolerated; without GRPCController, kill falls back to SIGKILL", async () => {
    const logger = collectingLogger();
    const c = client({ command: process.execPath, args: ["--import", "tsx", "test/fixtures/minimal-plugin.ts"], cwd: ROOT }, { logger, killGraceMs: 300 });
    try {
      await c.ping();
      const { channel } = await c.client();
      expect((await createClient(Test, channel).double({ Input: 4 })).Output).toBe(8);
      await new Promise((r) => setTimeout(r, 200));
      expect(logger.entries.some((e) => e.level === "warn" && e.message.includes("stdio service not available"))).toBe(true);
    } finally {
      await c.kill();
    }
    expect(c.forceKilled).toBe(true);
    expect(processAlive(c.pid)).toBe(false);
  });
});
