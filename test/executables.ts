// Plugin executables for tests and benchmarks, built by `go-plugin-ts build` at
// most once per content: a single executable is over 100 MB and costs seconds
// of CPU, so each one is kept in the git-ignored .tmp/exe/ under a key of the
// bundled script, the embedded node and the builder's own source, and rebuilt
// only when one of them changes. Older builds of the same plugin are removed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, bundle, pinnedNode } from "../src/cli/build.js";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..");
const CACHE = join(ROOT, ".tmp", "exe");

export interface PluginExecutable {
  path: string;
  /** False when this call found it in the cache. */
  built: boolean;
}

/**
 * The executable of `entry` (relative to the repository), built on first use; `snapshot: false`
 * for code cache, `node` to embed another node than the build's default.
 */
export async function pluginExecutable(name: string, entry: string, opts: { snapshot?: boolean; node?: string } = {}): Promise<PluginExecutable> {
  const node = opts.node ?? pinnedNode();
  const source = join(ROOT, entry);
  const snapshot = opts.snapshot !== false;
  const key = createHash("sha256")
    .update(await bundle(source, node, { snapshot }))
    .update(readFileSync(join(ROOT, "src", "cli", "build.ts")))
    .update(readFileSync(join(ROOT, "src", "cli", "bundle.ts")))
    .update(node)
    .digest("hex")
    .slice(0, 16);
  const path = join(CACHE, `${name}-${key}`);
  if (existsSync(path)) return { path, built: false };
  mkdirSync(CACHE, { recursive: true });
  // Older builds of this name only (`kv-<key>`, not `kv-node26-<key>`).
  for (const f of readdirSync(CACHE)) if (f.slice(0, -17) === name && /-[0-9a-f]{16}$/.test(f)) rmSync(join(CACHE, f), { force: true });
  const lines: string[] = [];
  const made = await build({ entry: source, output: path, node, snapshot, log: (l) => lines.push(l) });
  // The suites that launch these prove the snapshot build: a silent fallback to code cache would hide its breakage.
  if (snapshot && made.start !== "snapshot") {
    rmSync(path, { force: true });
    throw new Error(`${entry}: the build fell back from the startup snapshot:\n${lines.join("\n")}`);
  }
  return { path, built: true };
}
