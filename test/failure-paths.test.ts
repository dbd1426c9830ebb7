// Failure paths found by fault injection (issue 10), kept fixed.
import { Client, PluginError } from "../src/index.js";
import { goPluginCmd, processAlive, TEST_HANDSHAKE } from "./helpers.js";

const quiet = { log() {} };
const fakePlugin = (printf: string) => ({ command: "/bin/sh", args: ["-c", `printf '${printf}'; exec sleep 60`] });

test.each([
  ["carriage return", "1|1|unix|/tmp/plug\\rin|grpc|\\n"],
  ["line separator U+2028", "1|1|unix|/tmp/plug\\342\\200\\250in|grpc|\\n"],
  ["paragraph separator U+2029", "1|1|unix|/tmp/plug\\342\\200\\251in|grpc|\\n"],
])("an undialable unix path (%s): client() is a CONNECT_FAILED PluginError, kill() still ends the plugin", async (_name, line) => {
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: fakePlugin(line), stdin: "ignore", logger: quiet, killGraceMs: 500 });
  await client.start();
  const pid = client.pid;
  expect(processAlive(pid)).toBe(true);
  const err = await client.client().catch((e) => e);
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("CONNECT_FAILED");
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
