#!/usr/bin/env node
// Builds the Go interop binaries (interop/build.sh) into interop/.bin, unless
// the Go sources, go.mod, go.sum and the Go version are unchanged since the last build.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const interop = join(root, "interop");
const bin = join(interop, ".bin");
const stamp = join(bin, ".stamp");

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(go|mod|sum|sh)$/.test(name)) out.push(p);
  }
  return out;
}

let goVersion;
try {
  goVersion = execFileSync("go", ["version"], { encoding: "utf8" }).trim();
} catch (err) {
  console.error("interop:build: the Go toolchain is required (go not found on PATH): " + err.message);
  process.exit(1);
}
const h = createHash("sha256").update(goVersion);
for (const f of sources(interop)) h.update(relative(interop, f)).update(readFileSync(f));
const digest = h.digest("hex");

if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === digest && !process.argv.includes("--force")) {
  console.error(`interop:build: up to date (${digest.slice(0, 12)})`);
  process.exit(0);
}
console.error("interop:build: building Go interop binaries into interop/.bin …");
const t0 = Date.now();
execFileSync("bash", [join(interop, "build.sh")], { stdio: "inherit" });
writeFileSync(stamp, digest + "\n");
console.error(`interop:build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
