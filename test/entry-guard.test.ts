// Both entry points keep stdout clean until the handshake, whatever modules print while loading.
import { join } from "node:path";
import { Client, createClient, type ClientOf } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { collectingLogger, ROOT, TEST_HANDSHAKE, TS_PLUGIN } from "./helpers.js";

test.each([
  ["go-plugin-ts (root)", join(ROOT, "test", "fixtures", "root-entry-plugin.ts")],
  ["go-plugin-ts/plugin", TS_PLUGIN],
])("a plugin importing %s, then a module that prints: handshake intact, the text reaches the host's log", async (_entry, fixture) => {
  const logger = collectingLogger();
  await using client = new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: { test: { grpcClient: ({ channel }) => createClient(Test, channel) } },
    cmd: { command: process.execPath, args: ["--import", "tsx", fixture], cwd: ROOT },
    stdin: "ignore",
    logger,
  });
  const t = await client.dispense<ClientOf<typeof Test>>("test");
  expect((await t.double({ Input: 21 })).Output).toBe(42);
  expect(logger.entries.some((e) => e.message === "noisy module loaded")).toBe(true);
}, 60_000);
