// The Runner seam: Client runs its plugin through whatever Runner it is given.
import { Client, PluginError, spawnRunner, type PluginCommand, type Runner } from "../src/index.js";
import { goPluginCmd, processAlive, TEST_HANDSHAKE } from "./helpers.js";

const quiet = { log() {} };

test("a custom runner starts the plugin; kill goes through its process handle", async () => {
  const seen: PluginCommand[] = [];
  const inner = spawnRunner();
  let killNowCalls = 0;
  const runner: Runner = {
    start(cmd) {
      seen.push(cmd);
      const p = inner.start(cmd);
      return Object.assign(Object.create(p) as typeof p, {
        killNow: () => {
          killNowCalls++;
          p.killNow();
        },
      });
    },
  };
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: goPluginCmd(), runner, stdin: "ignore", logger: quiet, killGraceMs: 300 });
  await client.ping();
  expect(seen).toHaveLength(1);
  expect(seen[0]!.env[TEST_HANDSHAKE.magicCookieKey]).toBe(TEST_HANDSHAKE.magicCookieValue);
  expect(seen[0]!.env.PLUGIN_PROTOCOL_VERSIONS).toBe("1");
  expect(client.pid).toBeGreaterThan(0);
  client.killNow();
  await client.done;
  expect(killNowCalls).toBe(1);
  expect(processAlive(client.pid)).toBe(false);
  await client.kill();
});

test("a runner that throws is a SPAWN_FAILED start error and nothing runs", async () => {
  const runner: Runner = {
    start() {
      throw new Error("no container runtime");
    },
  };
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: goPluginCmd(), runner, logger: quiet });
  const err = await client.start().catch((e) => e);
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("SPAWN_FAILED");
  expect(err.message).toContain("no container runtime");
  expect(client.pid).toBeUndefined();
  await client.kill();
});

test("a missing binary is SPAWN_FAILED through the default runner", async () => {
  const client = new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd: { command: "/nonexistent/plugin" }, logger: quiet });
  const err = await client.start().catch((e) => e);
  expect(err).toBeInstanceOf(PluginError);
  expect(err.code).toBe("SPAWN_FAILED");
  expect(err.message).toContain("ENOENT");
  await client.kill();
});
