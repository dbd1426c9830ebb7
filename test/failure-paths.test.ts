// Failure paths found by fault injection (issue 10), kept fixed.
import { Client, Code, createClient, PluginError, RpcError, type ClientOf } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { defaultEngine } from "../src/rpc/engine.js";
import { statSync } from "node:fs";
import { goPluginCmd, processAlive, processesMatching, TEST_HANDSHAKE, tsPluginCmd } from "./helpers.js";

const quiet = { log() {} };
const fakePlugin = (printf: string) => ({ command: "/bin/sh", args: ["-c", `printf '${printf}'; exec sleep 60`] });

test.each([
  ["carriage return", "1|1|unix|/tmp/plug\\rin|grpc|\\n"],
  ["line separator U+2028", "1|1|unix|/tmp/plug\\342\\200\\250in|grpc|\\n"],
  ["paragraph separator U+2029", "1|1|unix|/tmp/plug\\342\\200\\251in|grpc|\\n"],
])("an undialable unix path (%s): the failure names it escaped, kill() still ends the plugin", async (_name, line) => {
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: fakePlugin(line), stdin: "ignore", logger: quiet, killGraceMs: 500 });
  await client.start();
  const pid = client.pid;
  expect(processAlive(pid)).toBe(true);
  let err;
  if (defaultEngine() === "grpc-js") {
    // grpc-js cannot even parse such a target: client() fails.
    err = await client.client().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe("CONNECT_FAILED");
  } else {
    // h2 dials any path, as go-plugin's Go client does: client() succeeds, calls fail UNAVAILABLE.
    await client.client();
    err = await client.ping().catch((e) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toMatch(/ENOENT \/tmp\/plug\\u(000d|2028|2029)in/);
  }
  // The path is shown escaped: the message holds no raw control bytes.
  expect(err.message).not.toMatch(/[\r\u2028\u2029]/);
  await expect(client.kill()).resolves.toBeUndefined();
  expect(processAlive(pid)).toBe(false);
});

test("kill() during a start that waits for a handshake kills at once; start() fails with KILLED", async () => {
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: goPluginCmd("-hang"), stdin: "ignore", logger: quiet, startTimeoutMs: 60_000 });
  const started = client.start().catch((e) => e);
  while (client.pid === undefined) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  await client.kill();
  expect(Date.now() - t0).toBeLessThan(5000);
  const err = await started;
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("KILLED");
  expect(processAlive(client.pid)).toBe(false);
});

test("kill() before start(): start() fails with KILLED and nothing is spawned", async () => {
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: goPluginCmd(), stdin: "ignore", logger: quiet });
  await client.kill();
  await expect(client.start()).rejects.toMatchObject({ code: "KILLED" });
  expect(client.pid).toBeUndefined();
});

test("64 MB on stdout without a newline: refused at go-plugin's 64 KiB line limit, at once, with a short message", async () => {
  const cmd = { command: process.execPath, args: ["-e", "process.stdout.write('\\u2028\\r'.repeat(32 << 20)); setInterval(() => {}, 1e6)"] };
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd, stdin: "ignore", logger: quiet, startTimeoutMs: 60_000 });
  const t0 = Date.now();
  const err = await client.start().catch((e) => e);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("UNRECOGNIZED_HANDSHAKE");
  expect(err.message).toContain("no end of line within 65536 bytes");
  expect(err.message.length).toBeLessThan(2000);
  expect(err.message).not.toMatch(/[\r\u2028]/);
  expect(processAlive(client.pid)).toBe(false);
});

test("a 1 MB handshake line and 20 stderr lines of 64 KB: the start error stays short and escaped", async () => {
  const script = [
    "const big = 'e\\u001b'.repeat(32 * 1024);",
    "for (let i = 0; i < 20; i++) process.stderr.write(big + '\\n');",
    "process.stdout.write('bad\\r'.repeat(256 * 1024) + '\\n');",
    "setInterval(() => {}, 1e6);",
  ].join("\n");
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: { command: process.execPath, args: ["-e", script] }, stdin: "ignore", logger: quiet });
  const err = await client.start().catch((e) => e);
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("UNRECOGNIZED_HANDSHAKE");
  expect(err.message.length).toBeLessThan(20 * 600 + 2000);
  expect(err.message).not.toMatch(/[\r\u001b]/);
  expect(processAlive(client.pid)).toBe(false);
});

test("a TS plugin's socket and the host's brokered sockets are 0600 even under umask 000", async () => {
  const ts = tsPluginCmd();
  const shell = `umask 000; exec ${[ts.command, ...ts.args].map((a) => `'${a}'`).join(" ")}`;
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: { command: "/bin/sh", args: ["-c", shell], cwd: ts.cwd }, stdin: "ignore", logger: quiet });
  try {
    const { broker } = await client.client();
    expect(statSync(client.address!.address).mode & 0o777).toBe(0o600);
    const listener = await broker.accept(broker.nextId());
    expect(statSync(listener.addr!.address).mode & 0o777).toBe(0o600);
    listener.close();
  } finally {
    await client.kill();
  }
});

test("keepalive settles a half-dead connection: a frozen Go plugin's pending stream fails UNAVAILABLE", async () => {
  // The default ping interval (310 s) is set by grpc-go's enforcement policy; a test shortens it.
  const client = new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: { test: { grpcClient: ({ channel }) => createClient(Test, channel) } },
    cmd: goPluginCmd(),
    stdin: "ignore",
    logger: quiet,
    channelOptions: { keepalive: { timeMs: 1000, timeoutMs: 1000 } },
    killGraceMs: 200,
  });
  try {
    const test = await client.dispense<ClientOf<typeof Test>>("test");
    const never = (async function* () {
      yield { Input: 1 };
      await new Promise(() => {});
    })();
    const stream = test.stream(never)[Symbol.asyncIterator]();
    expect((await stream.next()).value).toMatchObject({ Output: 1 });
    process.kill(client.pid!, "SIGSTOP");
    const t0 = Date.now();
    const err = await stream.next().catch((e) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(Date.now() - t0).toBeLessThan(15_000);
  } finally {
    if (client.pid) process.kill(client.pid, "SIGCONT");
    await client.kill();
  }
}, 30_000);

test("a daemonised grandchild holding the plugin's pipes does not hold up kill() or the exit", async () => {
  const marker = `9.${process.pid}`;
  const client = new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: { test: {} },
    cmd: { command: "/bin/sh", args: ["-c", `setsid sleep ${marker} & exec '${goPluginCmd().command}'`] },
    stdin: "ignore",
    logger: quiet,
  });
  try {
    await client.ping();
    const t0 = Date.now();
    await client.kill();
    // Shutdown, exit, then at most the 1 s pipe drain window: not the grandchild's 9 s.
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(client.forceKilled).toBe(false);
  } finally {
    for (const pid of processesMatching(`sleep ${marker}`)) process.kill(pid, "SIGKILL");
  }
});
