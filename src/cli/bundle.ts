/**
 * The script a plugin executable runs: the entry and all it imports, bundled
 * by esbuild into one classic (CommonJS-context) script for the SEA of `node`.
 *
 * esbuild bundles to ESM (so the entry may use top-level await), every Node
 * built-in is reached through `require` (the only loader a SEA main script
 * has), and the whole module body runs inside one async function.
 *
 * With `snapshot`, the script is a V8 startup-snapshot builder: at build time
 * it evaluates the modules that are safe to evaluate before the process
 * exists (this package's own modules, @bufbuild/protobuf and generated `_pb`
 * files, with their descriptors built) and leaves the entry, and everything
 * else it imports, to run when the executable starts, with its real argv and
 * environment.
 */
import { execFileSync } from "node:child_process";
import { builtinModules } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Metafile, Plugin } from "esbuild";

export type BuildEngine = "h2" | "grpc-js";

export class BuildError extends Error {
  override readonly name = "BuildError";
}

export interface BundleOptions {
  /** See BuildOptions.engine; default "h2". */
  engine?: BuildEngine;
  /** Make a startup-snapshot builder script (see above); default false. */
  snapshot?: boolean;
}

/**
 * Text only serve()'s own body contains (its SIGINT log line). A bundle
 * without it has no reachable call of serve(): esbuild drops unused functions.
 */
const SERVE_BODY_MARK = "plugin received interrupt signal, ignoring";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Marker export of the stand-in for @grpc/grpc-js; src/rpc/engine.ts looks for it. */
const GRPC_JS_LEFT_OUT = "goPluginTsGrpcJsLeftOut";

/**
 * Built-ins the snapshot builders of Node 22–26 accept (lib/internal/main/mksnapshot.js);
 * any other one is loaded on first use instead (see lazyBuiltin).
 */
const SNAPSHOT_BUILTINS = new Set([
  "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_wrap", "_stream_writable",
  "assert", "assert/strict", "buffer", "console", "constants", "crypto", "diagnostics_channel", "dns", "events", "fs",
  "fs/promises", "net", "os", "path", "path/posix", "path/win32", "process", "punycode", "querystring", "stream",
  "stream/promises", "string_decoder", "sys", "timers", "timers/promises", "url", "util", "util/types", "v8", "zlib",
]);

/**
 * Built-ins the snapshot could hold but leaves out, loaded on first use: most
 * plugins never use them before their handshake, and each is a large part of
 * the snapshot's heap, which every start pays to deserialize (node:crypto
 * alone is ≈ 0.5 MB; a plugin without AutoMTLS never reads it).
 */
const DEFERRED_BUILTINS = new Set(["crypto"]);

/**
 * Modules evaluated into a snapshot: their top-level code must not depend on
 * the process (argv, environment, time, descriptors) or load an unsupported
 * built-in. This package's modules keep to that (src/index.ts defers its
 * stdout guard to deserialization); protobuf-es and generated files do too.
 */
function snapshotSafePath(file: string): boolean {
  if (file.startsWith(join(ROOT, "src") + sep) && !file.startsWith(join(ROOT, "src", "cli") + sep)) return true;
  if (file.startsWith(join(ROOT, "dist") + sep) && !file.startsWith(join(ROOT, "dist", "cli") + sep)) return true;
  if (/[\\/]node_modules[\\/](@bufbuild[\\/]protobuf|prom-client|tdigest|bintrees|@opentelemetry[\\/]api|cbor-x)[\\/]/.test(file)) return true;
  if (/[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/](package\.json|build[\\/]src[\\/](metadata|logging|constants|error|compression-algorithms|connectivity-state)\.js)$/.test(file)) return true;
  return /_pb\.[cm]?[jt]s$/.test(file);
}

const isBuiltin = (id: string) => id.startsWith("node:") || builtinModules.includes(id.split("/")[0]!);

export async function bundle(entry: string, node: string, opts: BundleOptions = {}): Promise<string> {
  const engine = opts.engine ?? "h2";
  if (engine !== "h2" && engine !== "grpc-js") throw new BuildError(`unknown engine ${JSON.stringify(engine)}: expected "h2" or "grpc-js"`);
  const plugins = [...(engine === "h2" ? [withoutGrpcJs(await grpcJsExportNames())] : []), builtinsByRequire(opts.snapshot ? node : undefined)];
  const whole = await esbuildRun(entry, node, `import ${JSON.stringify(entry)};`, plugins, !!opts.snapshot);
  if (!whole.code.includes(SERVE_BODY_MARK)) {
    throw new BuildError(
      `${entry} does not call serve(): nothing it runs reaches go-plugin-ts's serve (or serveLoop), so the executable would never hand a host its handshake`,
    );
  }
  if (!opts.snapshot) return wrap(whole.code);
  // Modules to evaluate at build time, in the order esbuild met them; each one only if all it imports is too.
  const inputs = whole.metafile!.inputs;
  const safe = new Map<string, boolean>();
  const isSafe = (key: string, seen = new Set<string>()): boolean => {
    const known = safe.get(key);
    if (known !== undefined) return known;
    if (seen.has(key)) return true; // a cycle: decided by its other members
    seen.add(key);
    let ok: boolean;
    if (key.startsWith("node-builtin:") || key.startsWith("grpc-js-left-out:")) ok = true;
    else if (key.includes(":") && !key.startsWith("/")) ok = false;
    else ok = resolve(key) !== entry && snapshotSafePath(resolve(key)) && inputs[key]!.imports.every((i) => (i.external ? isBuiltin(i.path) : isSafe(i.path, seen)));
    safe.set(key, ok);
    return ok;
  };
  // Only what the bundle kept: esbuild lists every file it visited, tree-shaken ones too, and
  // importing those here would put them (protobuf-es's unused well-known types, say) in the snapshot.
  const kept = new Set(
    Object.values(whole.metafile!.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([k]) => k)),
  );
  const early = Object.keys(inputs).filter((k) => kept.has(k) && !k.includes(":") && isSafe(k) && resolve(k) !== entry);
  // Node defines some exports of its built-ins as lazy data properties (node:util's TextDecoder loads
  // internal/encoding, others worker_threads): the bundle's `import * as` reads every property's
  // descriptor, which loads them. Read here, at build time, they are in the snapshot; else each start
  // pays for them when the entry imports the module (≈ 5 ms for node:util).
  const builtins = [...kept]
    .filter((k) => k.startsWith("node-builtin:"))
    .map((k) => k.slice("node-builtin:".length))
    .filter((path) => {
      const id = path.replace(/^node:/, "");
      return SNAPSHOT_BUILTINS.has(id) && !DEFERRED_BUILTINS.has(id);
    });
  const contents = [
    ...early.map((k) => `import ${JSON.stringify(resolve(k))};`),
    ...builtins.map((path, i) => `import * as builtin${i} from ${JSON.stringify(path)};`),
    `for (const m of [${builtins.map((_, i) => `builtin${i}`).join(", ")}]) Object.getOwnPropertyDescriptors(m);`,
    `import { startupSnapshot } from "node:v8";`,
    `startupSnapshot.setDeserializeMainFunction(() => {`,
    `  import(${JSON.stringify(entry)}).catch((err) => process.nextTick(() => { throw err; }));`,
    `});`,
  ].join("\n");
  const split = await esbuildRun(entry, node, contents, plugins, false);
  return wrap(split.code);
}

async function esbuildRun(entry: string, node: string, contents: string, plugins: Plugin[], metafile: boolean): Promise<{ code: string; metafile?: Metafile }> {
  const esbuild = await import("esbuild");
  let result;
  try {
    result = await esbuild.build({
      stdin: { contents, resolveDir: dirname(entry), loader: "js", sourcefile: "<go-plugin-ts entry>" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${nodeMajor(node)}`,
      write: false,
      metafile,
      logLevel: "silent",
      // Native add-ons cannot live in the blob; packages that try them fall back to JS when the require fails.
      external: ["cbor-extract"],
      // Read when used: in a snapshot the module ran at build time, elsewhere.
      define: { "import.meta.url": "__goPluginTsMeta.url", "import.meta.dirname": "__goPluginTsMeta.dirname", "import.meta.filename": "__goPluginTsMeta.filename" },
      plugins,
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const text = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("\n");
    throw new BuildError(`bundling ${entry} failed:\n${text || (err as Error).message}`);
  }
  const code = result.outputFiles[0]!.text;
  const leftover = /^(?:import\s[^;]*?from\s*["'][^"']+["']|import\s*["'][^"']+["']|export\s)/m.exec(code);
  if (leftover) throw new BuildError(`the bundle still has a module statement a single executable cannot run: ${leftover[0].slice(0, 120)}`);
  return { code, metafile: result.metafile };
}

/**
 * Every Node built-in through `require`. With `snapshotNode` (the node that
 * builds the snapshot), a built-in its snapshot builder does not accept is a
 * stand-in that loads it on first use: an import of node:http2 in a module
 * evaluated at build time does not load http2 until a server is made.
 */
function builtinsByRequire(snapshotNode: string | undefined): Plugin {
  const builtins = new Set(builtinModules);
  return {
    name: "node-builtins-by-require",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const bare = args.path.replace(/^node:/, "").split("/")[0]!;
        if (!args.path.startsWith("node:") && !builtins.has(bare)) return undefined;
        if (args.namespace === "node-builtin") return { path: args.path, external: true };
        // An import nothing uses is dropped, like any side-effect-free module.
        return { path: args.path, namespace: "node-builtin", sideEffects: false };
      });
      b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => {
        const id = args.path.replace(/^node:/, "");
        if (!snapshotNode || (SNAPSHOT_BUILTINS.has(id) && !DEFERRED_BUILTINS.has(id))) return { contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" };
        return { contents: lazyBuiltin(args.path, builtinKeys(snapshotNode, args.path)), loader: "js" };
      });
    },
  };
}

const keyCache = new Map<string, string[]>();

function builtinKeys(node: string, id: string): string[] {
  const key = `${node}\0${id}`;
  let keys = keyCache.get(key);
  if (!keys) {
    const out = execFileSync(node, ["-p", `JSON.stringify(Object.keys(require(${JSON.stringify(id)})))`], { encoding: "utf8", env: {} });
    keys = JSON.parse(out) as string[];
    keyCache.set(key, keys);
  }
  return keys;
}

/** A module object whose properties are known up front and whose values come from `require(id)` at first read. */
function lazyBuiltin(id: string, keys: string[]): string {
  return [
    `let real;`,
    `const load = () => (real ??= require(${JSON.stringify(id)}));`,
    `const keys = ${JSON.stringify(keys)};`,
    `module.exports = new Proxy({}, {`,
    `  get: (_, p) => load()[p],`,
    `  has: (_, p) => p in load(),`,
    `  ownKeys: () => keys,`,
    `  getOwnPropertyDescriptor: (_, p) => (keys.includes(p) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined),`,
    `});`,
  ].join("\n");
}

async function grpcJsExportNames(): Promise<string[]> {
  const grpc = (await import("@grpc/grpc-js")) as Record<string, unknown>;
  return Object.keys(grpc).filter((k) => k !== "default" && k !== "module.exports");
}

/**
 * Resolves every import of @grpc/grpc-js to a stand-in: its Metadata class and
 * status codes (which the h2 engine uses, from the package's own small
 * modules) and, for each other export, a value that throws a clear error when
 * used. grpc-js loads http2, tls, http and its whole client and server stack
 * as it is imported.
 */
function withoutGrpcJs(names: string[]): Plugin {
  const kept = new Set(["Metadata", "status", "logVerbosity", "propagate", "compressionAlgorithms", "connectivityState"]);
  return {
    name: "without-grpc-js",
    setup(b) {
      b.onResolve({ filter: /^@grpc\/grpc-js$/ }, (args) =>
        args.namespace === "grpc-js-left-out" ? undefined : { path: "@grpc/grpc-js", namespace: "grpc-js-left-out", pluginData: args.resolveDir },
      );
      b.onLoad({ filter: /.*/, namespace: "grpc-js-left-out" }, (args) => ({
        resolveDir: args.pluginData as string,
        loader: "js",
        contents: [
          `const { Metadata } = require("@grpc/grpc-js/build/src/metadata.js");`,
          `const constants = require("@grpc/grpc-js/build/src/constants.js");`,
          `function leftOut(name) {`,
          `  const fail = () => { throw new Error("@grpc/grpc-js " + name + " is not in this executable: go-plugin-ts build left grpc-js out (--engine h2); build with --engine grpc-js to use it"); };`,
          `  return new Proxy(function () {}, { apply: fail, construct: fail, get: (t, p) => (typeof p === "symbol" || p === "prototype" || p === "name" || p === "length" ? Reflect.get(t, p) : fail()) });`,
          `}`,
          `module.exports = {`,
          `  ${GRPC_JS_LEFT_OUT}: true,`,
          `  Metadata,`,
          `  status: constants.Status,`,
          `  logVerbosity: constants.LogVerbosity,`,
          `  propagate: constants.Propagate,`,
          `  compressionAlgorithms: require("@grpc/grpc-js/build/src/compression-algorithms.js").CompressionAlgorithms,`,
          `  connectivityState: require("@grpc/grpc-js/build/src/connectivity-state.js").ConnectivityState,`,
          ...names.filter((n) => !kept.has(n)).map((n) => `  ${JSON.stringify(n)}: leftOut(${JSON.stringify(n)}),`),
          `};`,
        ].join("\n"),
      }));
    },
  };
}

function nodeMajor(node: string): number {
  const v = execFileSync(node, ["--version"], { encoding: "utf8", env: {} }).trim();
  return Number(/^v(\d+)\./.exec(v)?.[1] ?? 22);
}

function wrap(code: string): string {
  const prelude =
    `"use strict";\n` +
    `const __goPluginTsMeta = {\n` +
    `  get filename() { return process.execPath; },\n` +
    `  get dirname() { return require("node:path").dirname(process.execPath); },\n` +
    `  get url() { return require("node:url").pathToFileURL(process.execPath).href; },\n` +
    `};\n`;
  // A rejection of the module body is reported as an uncaught error, as Node does for an ESM entry.
  return prelude + `(async () => {\n${code}\n})().catch((err) => process.nextTick(() => { throw err; }));\n`;
}
