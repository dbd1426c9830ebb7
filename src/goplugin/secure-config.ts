import { createHash, timingSafeEqual, type Hash } from "node:crypto";
import { accessSync, constants, createReadStream, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { PluginError } from "./errors.js";

/**
 * go-plugin's SecureConfig: the plugin executable must hash to `checksum`
 * before it is run. `hash` is a node:crypto algorithm name ("sha256",
 * "sha512", "sha3-256", "md5", …) or a factory for a fresh Hash, the
 * counterpart of Go's `hash.Hash`.
 */
export interface SecureConfig {
  /** The expected digest: raw bytes or lower/upper-case hex. */
  checksum: Uint8Array | string;
  hash: string | (() => Hash);
}

/**
 * Where `command` resolves the way Go's exec.Command does: a name without a
 * slash is looked up in PATH (the checked file is then the one that runs);
 * anything else is taken relative to `cwd`.
 */
export function resolveExecutable(command: string, env: Record<string, string | undefined>, cwd?: string): string {
  if (command.includes("/")) return isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir || ".", command);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return isAbsolute(candidate) ? candidate : resolve(cwd ?? process.cwd(), candidate);
    } catch {
      // not here
    }
  }
  throw new PluginError("SECURE_CONFIG", `error verifying checksum: exec: "${command}": executable file not found in $PATH`);
}

/**
 * Hashes `path` and compares it with the expected checksum in constant time.
 * Throws go-plugin's errors: "error verifying checksum: …" when the check
 * cannot run, "checksums did not match" on a mismatch.
 */
export async function verifyChecksum(path: string, config: SecureConfig): Promise<void> {
  const expected = typeof config.checksum === "string" ? parseHex(config.checksum) : Buffer.from(config.checksum);
  if (expected.length === 0) throw new PluginError("SECURE_CONFIG", "error verifying checksum: no checksum provided");
  if (!config.hash) throw new PluginError("SECURE_CONFIG", "error verifying checksum: no hash implementation provided");
  let hash: Hash;
  try {
    hash = typeof config.hash === "string" ? createHash(config.hash) : config.hash();
  } catch (err) {
    throw new PluginError("SECURE_CONFIG", `error verifying checksum: ${(err as Error).message}`, { cause: err });
  }
  let sum: Buffer;
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    sum = hash.digest();
  } catch (err) {
    throw new PluginError("SECURE_CONFIG", `error verifying checksum: ${(err as Error).message}`, { cause: err });
  }
  // Lengths are not secret (they follow from the algorithm); only equal lengths are compared byte-wise.
  if (sum.length !== expected.length || !timingSafeEqual(sum, expected)) {
    throw new PluginError("CHECKSUM_MISMATCH", "checksums did not match");
  }
}

function parseHex(hex: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new PluginError("SECURE_CONFIG", "error verifying checksum: checksum is not a hex string");
  }
  return Buffer.from(hex, "hex");
}
