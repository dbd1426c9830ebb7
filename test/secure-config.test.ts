// SecureConfig: the host hashes the plugin executable before running it (go-plugin's Client.Start).
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, createClient, discardLogger, PluginError, type SecureConfig } from "../src/index.js";
import { Test } from "./gen/grpctest/test_pb.js";
import { GO_PLUGIN, scratchDir, TEST_HANDSHAKE } from "./helpers.js";

/**
 * A launcher script that leaves a marker file when it runs, then becomes the
 * Go test plugin: the marker tells whether a process was ever created.
 */
function launcher(parent: string): { dir: string; path: string; marker: string; bytes: Buffer } {
  const dir = mkdtempSync(join(parent, "l-"));
  const path = join(dir, "launch-plugin");
  const marker = join(dir, "ran");
  writeFileSync(path, `#!/bin/sh\n: > '${marker}'\nexec '${GO_PLUGIN}' "$@"\n`);
  chmodSync(path, 0o755);
  return { dir, path, marker, bytes: readFileSync(path) };
}

function newClient(command: string, secureConfig: SecureConfig, cwd?: string) {
  return new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: { test: { grpcClient: ({ channel }) => createClient(Test, channel) } },
    cmd: { command, cwd },
    stdin: "ignore",
    logger: discardLogger,
    secureConfig,
  });
}

describe("SecureConfig", () => {
  const dir = scratchDir();
  afterAll(() => dir.remove());

  test.each(["sha256", "sha512", "sha1", "md5", "sha3-256"])("right %s checksum starts the plugin", async (algo) => {
    const l = launcher(dir.path);
    const client = newClient(l.path, { checksum: createHash(algo).update(l.bytes).digest(), hash: algo });
    try {
      await client.ping();
      expect(existsSync(l.marker)).toBe(true);
    } finally {
      await client.kill();
    }
  });

  test("hex checksum and a hash factory are accepted", async () => {
    const l = launcher(dir.path);
    const hex = createHash("sha256").update(l.bytes).digest("hex").toUpperCase();
    const client = newClient(l.path, { checksum: hex, hash: () => createHash("sha256") });
    try {
      await client.ping();
    } finally {
      await client.kill();
    }
  });

  test("a relative command is checked where it runs from (cwd)", async () => {
    const l = launcher(dir.path);
    const client = newClient("./launch-plugin", { checksum: createHash("sha256").update(l.bytes).digest(), hash: "sha256" }, l.dir);
    try {
      await client.ping();
    } finally {
      await client.kill();
    }
  });

  test("wrong checksum: go-plugin's error, and no process is created", async () => {
    const l = launcher(dir.path);
    const sum = createHash("sha256").update(l.bytes).digest();
    sum[0] ^= 1;
    const client = newClient(l.path, { checksum: sum, hash: "sha256" });
    const err = await client.start().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.message).toBe("checksums did not match");
    expect(client.pid).toBeUndefined();
    expect(existsSync(l.marker)).toBe(false);
    await client.kill();
  });

  test("a checksum of the wrong length or algorithm is a mismatch, not a crash", async () => {
    const l = launcher(dir.path);
    const sha256 = createHash("sha256").update(l.bytes).digest();
    const client = newClient(l.path, { checksum: sha256, hash: "sha512" });
    await expect(client.start()).rejects.toThrow(/^checksums did not match$/);
    expect(existsSync(l.marker)).toBe(false);
  });

  test.each<[string, SecureConfig, RegExp]>([
    ["empty checksum", { checksum: new Uint8Array(), hash: "sha256" }, /^error verifying checksum: no checksum provided$/],
    ["no hash", { checksum: "00", hash: "" }, /^error verifying checksum: no hash implementation provided$/],
    ["unknown algorithm", { checksum: "00", hash: "nope-256" }, /^error verifying checksum: .*Digest method not supported/],
    ["odd hex", { checksum: "abc", hash: "sha256" }, /^error verifying checksum: checksum is not a hex string$/],
  ])("%s: refused before spawning", async (_name, sc, message) => {
    const l = launcher(dir.path);
    const client = newClient(l.path, sc);
    const err = await client.start().catch((e) => e);
    expect(err.code).toBe("SECURE_CONFIG");
    expect(err.message).toMatch(message);
    expect(existsSync(l.marker)).toBe(false);
  });

  test("missing executable: an I/O error from the check, no spawn attempt", async () => {
    const client = newClient(join(dir.path, "absent"), { checksum: "00", hash: "sha256" });
    await expect(client.start()).rejects.toThrow(/^error verifying checksum: ENOENT/);
    const client2 = newClient("no-such-plugin-on-path", { checksum: "00", hash: "sha256" });
    await expect(client2.start()).rejects.toThrow(/executable file not found in \$PATH/);
  });
});
