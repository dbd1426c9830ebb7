#!/usr/bin/env node
// What a user gets from `npm pack`: packs the library the way npm does (its `prepare` builds dist),
// checks the tarball's contents, then installs it into a fresh temporary project and there
// (a) runs an ESM TypeScript host and plugin with tsx, (b) type-checks them with tsc (module
// nodenext), (c) require()s the package from CommonJS, (d) runs the `go-plugin-ts check` bin on
// the user's plugin, (e) builds the user's plugin into one executable with the installed
// `go-plugin-ts build` (on the first listed runtime ≥ 24) and checks it with an empty environment.
// The user project lives in test/fixtures/pack; its tools are installed at the lockfile's versions.
//
//   node scripts/pack-check.mjs [--runtimes 22,24,26] [--keep]
// Steps (a), (c) and (d) run on the machine's Node and on each listed major (scripts/node-runtime.mjs).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeRuntime } from "./node-runtime.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const keep = args.includes("--keep");
const runtimesArg = args.includes("--runtimes") ? args[args.indexOf("--runtimes") + 1] : "";
const extraMajors = runtimesArg ? runtimesArg.split(",").map(Number) : [];

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")).packages;
const lockVersion = (name) => {
  const v = lock[`node_modules/${name}`]?.version;
  if (!v) throw new Error(`pack-check: ${name} is not in package-lock.json`);
  return v;
};

/** The oldest TypeScript the README names for the declarations. */
const MIN_TYPESCRIPT = "5.7.3";

const failures = [];
const fail = (msg) => failures.push(msg);
const step = (msg) => console.error(`pack-check: ${msg}`);

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: opts.timeout ?? 300_000,
    killSignal: "SIGKILL",
    ...opts,
  });
}

const work = mkdtempSync(join(tmpdir(), "pack-check-"));
try {
  // 1. Pack as npm does for a user: no dist beforehand, so only `prepare` can have built it.
  rmSync(join(root, "dist"), { recursive: true, force: true });
  step("npm pack (prepare builds dist)");
  execFileSync("npm", ["pack", "--pack-destination", work, "--loglevel=warn"], {
    cwd: root,
    stdio: ["ignore", process.stderr, "inherit"],
  });
  const tgz = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("pack-check: npm pack wrote no tarball");
  const tarball = join(work, tgz);
  const files = new Set(
    run("tar", ["-tzf", tarball])
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, "")),
  );
  step(`${tgz}: ${files.size} files`);

  // 2. Contents: what the manifest names is there; nothing test-only is.
  const named = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
  for (const target of Object.values(pkg.exports)) {
    if (typeof target === "string") named.push(target);
    else named.push(...Object.values(target));
  }
  for (const f of named) {
    const rel = f.replace(/^\.\//, "");
    if (!files.has(rel)) fail(`the manifest names ${f} but the tarball lacks it`);
  }
  const forbidden = [
    /^(test|bench|examples|interop|scripts|src|coverage|\.ci|\.tmp)\//,
    /\/gen\/(grpctest|bench|examples)\//,
    /\.(spec|test)\.(js|d\.ts|ts)(\.map)?$/,
    /\.tsbuildinfo$/,
  ];
  for (const f of files) if (forbidden.some((re) => re.test(f))) fail(`test-only or build file packed: ${f}`);
  // Each folder of vendored protos carries its upstream licence.
  const protoDirs = new Set([...files].filter((f) => f.startsWith("proto/")).map((f) => `proto/${f.split("/")[1]}/LICENSE`));
  for (const f of ["LICENSE", "README.md", ...protoDirs]) {
    if (!files.has(f)) fail(`${f} is not packed`);
  }

  // Source maps must resolve: each source is inlined or packed.
  const unpacked = join(work, "unpacked");
  mkdirSync(unpacked);
  run("tar", ["-xzf", tarball, "-C", unpacked]);
  let maps = 0;
  for (const f of files) {
    if (!f.endsWith(".map")) continue;
    maps++;
    const map = JSON.parse(readFileSync(join(unpacked, "package", f), "utf8"));
    map.sources.forEach((s, i) => {
      const inlined = typeof map.sourcesContent?.[i] === "string";
      const packed = files.has(join(dirname(f), map.sourceRoot ?? "", s).replace(/^\.\//, ""));
      if (!inlined && !packed) fail(`${f}: source ${s} is neither inlined nor packed`);
    });
  }
  step(`${maps} source maps checked`);
  for (const bin of Object.values(pkg.bin ?? {})) {
    const p = join(unpacked, "package", bin);
    if (existsSync(p) && !readFileSync(p, "utf8").startsWith("#!/usr/bin/env node\n")) fail(`${bin} lacks a node shebang`);
  }

  // 3. A fresh user project with the tarball and the lockfile's versions of everything.
  const proj = join(work, "user");
  cpSync(join(root, "test", "fixtures", "pack"), proj, { recursive: true });
  const overrides = { ...pkg.overrides };
  for (const dep of Object.keys(pkg.dependencies)) overrides[dep] = lockVersion(dep);
  const tools = ["tsx", "typescript", "@types/node", "@bufbuild/buf", "@bufbuild/protoc-gen-es"];
  writeFileSync(
    join(proj, "package.json"),
    JSON.stringify(
      {
        name: "pack-check-user",
        private: true,
        type: "module",
        dependencies: {
          "go-plugin-ts": `file:${tarball}`,
          // The user's generated code and the library must share one protobuf-es.
          "@bufbuild/protobuf": lockVersion("@bufbuild/protobuf"),
        },
        devDependencies: Object.fromEntries(tools.map((t) => [t, lockVersion(t)])),
        overrides,
      },
      null,
      2,
    ),
  );
  step("npm install in a fresh project");
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: proj,
    stdio: ["ignore", process.stderr, "inherit"],
    timeout: 600_000,
  });
  const bin = (name) => join(proj, "node_modules", ".bin", name);
  const protobufCopies = run("npm", ["ls", "@bufbuild/protobuf", "--all", "--parseable"], { cwd: proj })
    .split("\n")
    .filter((l) => l.endsWith("@bufbuild/protobuf"));
  if (protobufCopies.length !== 1) fail(`npm kept ${protobufCopies.length} copies of @bufbuild/protobuf`);

  // The README's copyable buf.gen.yaml is the one used here.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Your own protos"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (block !== readFileSync(join(proj, "buf.gen.yaml"), "utf8")) {
    fail("README's buf.gen.yaml (\"Your own protos\") differs from test/fixtures/pack/buf.gen.yaml");
  }
  step("buf generate with the README's buf.gen.yaml");
  run("npx", ["--no-install", "buf", "generate"], { cwd: proj });

  // The oldest TypeScript the README promises: the declarations use Uint8Array<…> (5.7).
  const tsMin = join(work, "ts-min");
  mkdirSync(tsMin);
  writeFileSync(join(tsMin, "package.json"), '{ "private": true }\n');
  execFileSync("npm", ["install", "--prefix", tsMin, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `typescript@${MIN_TYPESCRIPT}`], {
    stdio: ["ignore", process.stderr, "inherit"],
  });
  const tscs = [
    [bin("tsc"), "module nodenext", []],
    [bin("tsc"), "module node16", ["--module", "node16", "--moduleResolution", "node16"]],
    [bin("tsc"), "moduleResolution bundler", ["--module", "esnext", "--moduleResolution", "bundler"]],
    [join(tsMin, "node_modules", ".bin", "tsc"), `module nodenext, TypeScript ${MIN_TYPESCRIPT}`, []],
  ];
  for (const [tsc, what, extra] of tscs) {
    step(`(b) tsc, ${what}`);
    try {
      run(tsc, ["-p", "tsconfig.json", ...extra], { cwd: proj, stdio: ["ignore", "inherit", "inherit"] });
    } catch {
      fail(`tsc (${what}) reported errors in the user project`);
    }
  }

  const runtimes = [process.execPath, ...extraMajors.map((m) => nodeRuntime(m))];
  for (const node of runtimes) {
    const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
    const version = run(node, ["--version"]).trim();
    step(`(a) ESM TS host + plugin with tsx on Node ${version}`);
    try {
      const out = run(node, ["--import", "tsx", "src/host.ts"], { cwd: proj, env, timeout: 120_000 });
      const got = JSON.parse(out.trim().split("\n").pop());
      if (got.message !== "hello tarball!" || got.negotiatedVersion !== 2 || got.node !== version) {
        fail(`host on ${version} printed ${out.trim()}`);
      }
    } catch (err) {
      fail(`host on ${version} failed: ${err.message}`);
    }
    step(`(d) npx go-plugin-ts check on Node ${version}`);
    try {
      const argv = ["--no-install", "go-plugin-ts", "check", "--json", "--cookie", "GREETER_PLUGIN=packed", "--versions", "1,2"];
      const report = JSON.parse(run("npx", [...argv, "--", "node", "--import", "tsx", "src/plugin.ts"], { cwd: proj, env, timeout: 120_000 }));
      if (!report.ok || report.negotiatedVersion !== 2) fail(`check on ${version}: ${JSON.stringify(report.checks)}`);
    } catch (err) {
      fail(`go-plugin-ts check on ${version} failed: ${err.message}\n${err.stdout ?? ""}`);
    }
    step(`(c) require() from CommonJS on Node ${version}`);
    try {
      const got = JSON.parse(run(node, ["src/require.cjs"], { cwd: proj, env, timeout: 60_000 }).trim());
      if (got.version !== pkg.version || got.node !== version) fail(`require() on ${version} gave ${JSON.stringify(got)}`);
    } catch (err) {
      fail(`require() on ${version} failed: ${err.message}`);
    }
  }

  // (e) The installed package's build command: the user's plugin as one executable (snapshot),
  // checked with an empty environment, as a Chainlink node launches it.
  const buildNode = runtimes.find((n) => Number(run(n, ["--version"]).trim().slice(1).split(".")[0]) >= 24);
  if (buildNode) {
    const version = run(buildNode, ["--version"]).trim();
    const env = { ...process.env, PATH: `${dirname(buildNode)}:${process.env.PATH}` };
    step(`(e) npx go-plugin-ts build src/plugin.ts on Node ${version}, then check the executable`);
    try {
      const exe = join(proj, "greeter-plugin");
      run("npx", ["--no-install", "go-plugin-ts", "build", "src/plugin.ts", "-o", exe], { cwd: proj, env, timeout: 600_000, stdio: ["ignore", "pipe", "inherit"] });
      const argv = ["--no-install", "go-plugin-ts", "check", "--json", "--cookie", "GREETER_PLUGIN=packed", "--versions", "1,2"];
      // Only what a go-plugin host sets reaches the executable: no PATH, no HOME.
      const bare = `exec /usr/bin/env -i GREETER_PLUGIN="$GREETER_PLUGIN" PLUGIN_PROTOCOL_VERSIONS="$PLUGIN_PROTOCOL_VERSIONS" PLUGIN_MIN_PORT="$PLUGIN_MIN_PORT" PLUGIN_MAX_PORT="$PLUGIN_MAX_PORT" '${exe}'`;
      const report = JSON.parse(run("npx", [...argv, "--", "/bin/sh", "-c", bare], { cwd: proj, env, timeout: 120_000 }));
      if (!report.ok || report.negotiatedVersion !== 2) fail(`check of the built executable: ${JSON.stringify(report.checks)}`);
      rmSync(exe, { force: true });
    } catch (err) {
      fail(`build from the installed package failed: ${err.message}\n${err.stdout ?? ""}`);
    }
  }
} finally {
  if (keep) step(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (failures.length) {
  for (const f of failures) console.error(`pack-check: FAIL ${f}`);
  process.exit(1);
}
step("all checks passed");
