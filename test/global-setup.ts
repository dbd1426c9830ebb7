import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The interop suite needs the Go binaries; without them it fails, never skips. */
export default function globalSetup(): void {
  const bin = join(fileURLToPath(import.meta.url), "..", "..", "interop", ".bin");
  const missing = ["goplugin-test", "goplugin-host", "yamux-peer", "kv", "kv-go-grpc"].filter((b) => !existsSync(join(bin, b)));
  if (missing.length) {
    throw new Error(`Go interop binaries missing in ${bin}: ${missing.join(", ")}. Run \`npm run interop:build\` (needs Go).`);
  }
}
