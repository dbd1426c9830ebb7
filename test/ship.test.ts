// Shipping a TypeScript plugin as one executable (`go-plugin-ts build`): the
// command's refusals, and the built executables under real Go hosts with no
// node on their PATH — go-plugin's unchanged examples/grpc KV host launching
// the TS KV plugin; chainlink-common's Go LOOP host launching the TS relayer
// and median plugins with nothing but the CL_* settings in their environment —
// and the LOOP runtime (serveLoop) in them: Go's error text for bad settings,
// the metrics endpoint. Each executable is built once per content (test/executables.ts).
import { execFile, execFileSync, spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { nodeTs, parseLaunch, runHost } from "../examples/support.js";
import * as F from "../examples/loop/fixtures.js";
import { LOOP_HANDSHAKES } from "../src/loop/index.js";
import { pluginExecutable } from "./executables.js";
import { BIN, processAlive, processesMatching, ROOT, runGoHost, scratchDir } from "./helpers.js";

const BUILD_MS = 300_000;

/** Runs `go-plugin-ts build …` (the package's bin, from source) and collects its outcome. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [node, ...pre] = nodeTs("src/cli/main.ts");
  return new Promise((resolve) => {
    execFile(node!, [...pre, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe("go-plugin-ts build refuses what it cannot ship", () => {
  test("a missing entry", async () => {
    const s = scratchDir();
    try {
      const r = await cli(["build", "test/fixtures/no-such-plugin.ts", "-o", join(s.path, "out")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("go-plugin-ts build: entry not found: test/fixtures/no-such-plugin.ts");
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });

  test("an output path that is a directory, before any work", async () => {
    const s = scratchDir();
    try {
      const r = await cli(["build", "examples/kv/plugin.ts", "-o", s.path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`go-plugin-ts build: output ${s.path} is a directory: name the executable to write`);
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });

  test("an entry that never calls serve()", async () => {
    const s = scratchDir();
    try {
      const r = await cli(["build", "test/fixtures/not-a-plugin.ts", "-o", join(s.path, "out")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/go-plugin-ts build: \S*not-a-plugin\.ts does not call serve\(\)/);
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });

  test("a module the startup snapshot cannot hold: the build says so and falls back to code cache", async () => {
    const s = scratchDir();
    try {
      const out = join(s.path, "out");
      const r = await cli(["build", "test/fixtures/snapshot-breaker/plugin.ts", "-o", out]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/go-plugin-ts build: no startup snapshot \(node could not make the SEA blob: .*\); building with code cache instead/);
      expect(r.stderr).toMatch(/wrote .* code cache\)/);
      const run = await runPlugin(out, { TEST_MAGIC_COOKIE: "test", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_UNIX_SOCKET_DIR: s.path }, (_line, kill) => kill());
      expect(run.stdout).toMatch(/^1\|1\|unix\|/);
      expect(run.stderr).toContain("breaker loaded");
    } finally {
      s.remove();
    }
  }, BUILD_MS);

  test("an unsupported platform", async () => {
    const s = scratchDir();
    try {
      for (const platform of ["darwin-arm64", "win32-x64"]) {
        const r = await cli(["build", "examples/kv/plugin.ts", "-o", join(s.path, "out"), "--platform", platform]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`go-plugin-ts build: unsupported platform ${platform}: plugin executables are built for linux-x64 and linux-arm64 only`);
      }
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });

  test("usage errors: no output, no entry, unknown command", async () => {
    expect(await cli(["build", "examples/kv/plugin.ts"])).toMatchObject({ code: 2, stderr: expect.stringContaining("-o <file> is needed") });
    expect(await cli(["build", "-o", "x"])).toMatchObject({ code: 2, stderr: expect.stringContaining("exactly one entry file is needed") });
    expect(await cli(["bulid"])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "bulid"') });
  });
});

/** go-plugin's KV host puts and gets through the executable `kvExe`, with only sh on its PATH. */
async function kvRoundTrip(kvExe: string): Promise<void> {
  expect(statSync(kvExe).size).toBeGreaterThan(50e6); // a node runtime inside, not a launcher script
  const s = scratchDir();
  try {
    // The KV host runs `sh -c $KV_PLUGIN`; its PATH holds sh and nothing else.
    const dirs = { bin: join(s.path, "bin"), cwd: join(s.path, "cwd"), sockets: join(s.path, "sockets") };
    for (const d of Object.values(dirs)) mkdirSync(d);
    symlinkSync("/bin/sh", join(dirs.bin, "sh"));
    const env = { PATH: dirs.bin, KV_PLUGIN: kvExe, KV_PROTO: "grpc", KV_LOG_LEVEL: "debug", PLUGIN_UNIX_SOCKET_DIR: dirs.sockets };
    const put = await runHost([join(BIN, "kv"), "put", "hello", "world"], { cwd: dirs.cwd, env });
    expect(put).toMatchObject({ code: 0 });
    expect(readFileSync(join(dirs.cwd, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin-ts");
    const get = await runHost([join(BIN, "kv"), "get", "hello"], { cwd: dirs.cwd, env });
    expect(get).toMatchObject({ code: 0, stdout: "world\n\nWritten from plugin-ts\n" });
    for (const run of [put, get]) {
      // The plugin's own log line reached the Go host, which then saw it exit and remove its socket.
      const t = parseLaunch(run.stderr);
      expect(t).toMatchObject({ version: 1, network: "unix" });
      expect(t.address?.startsWith(dirs.sockets + "/")).toBe(true);
      expect(t.pluginPid).toBeDefined();
      expect(processAlive(t.pluginPid)).toBe(false);
    }
    expect(processesMatching(kvExe)).toEqual([]);
    expect(readdirSync(dirs.sockets)).toEqual([]);
  } finally {
    s.remove();
  }
}

describe("go-plugin's unchanged examples/grpc Go host × the TS KV plugin as one executable", () => {
  let kvExe: string;
  beforeAll(async () => {
    kvExe = (await pluginExecutable("kv", "examples/kv/plugin.ts")).path;
  }, BUILD_MS);

  test("put and get, with no node on the host's PATH", async () => {
    await kvRoundTrip(kvExe);
  });

  test("a SIGTERM as soon as the handshake line is read still removes the socket (exit 143)", async () => {
    const s = scratchDir();
    try {
      const env = { BASIC_PLUGIN: "hello", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_UNIX_SOCKET_DIR: s.path };
      for (let i = 0; i < 5; i++) {
        const run = await runPlugin(kvExe, env, (_line, kill) => kill());
        expect(run).toMatchObject({ code: 143, signal: null });
        expect(s.leftovers()).toEqual([]);
      }
    } finally {
      s.remove();
    }
  });
});

describe.each([22, 26])("the KV plugin as one executable embedding Node %i (--node)", (major) => {
  let kvExe: string;
  beforeAll(async () => {
    const node = execFileSync(process.execPath, [join(ROOT, "scripts", "node-runtime.mjs"), String(major)], { encoding: "utf8" }).trim();
    kvExe = (await pluginExecutable(`kv-node${major}`, "examples/kv/plugin.ts", { node })).path;
  }, BUILD_MS);

  test("go-plugin's KV host puts and gets through it", async () => {
    await kvRoundTrip(kvExe);
  });
});

describe("the executable's startup snapshot and h2-only build", () => {
  let exe: string;
  beforeAll(async () => {
    exe = (await pluginExecutable("ts-plugin", "test/fixtures/ts-plugin.ts")).path;
  }, BUILD_MS);
  const base = (dir: string) => ({ TEST_MAGIC_COOKIE: "test", PLUGIN_PROTOCOL_VERSIONS: "1", PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000", PLUGIN_UNIX_SOCKET_DIR: dir });

  test("argv and environment are the run's, not the build's; a module printing at import still cannot spoil the handshake line", async () => {
    const s = scratchDir();
    try {
      // The entry runs at start: its flags are read from this run's argv (here: exit before serving).
      const early = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(exe, ["--exit-before", "3"], { env: base(s.path) }, (err, _out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }));
      });
      expect(early).toMatchObject({ code: 3, stderr: expect.stringContaining("fatal: exiting before handshake") });
      // The stdout guard of src/index.ts, evaluated at build time, is installed when the executable starts.
      const run = await runPlugin(exe, base(s.path), (_line, kill) => kill());
      expect(run.stdout.split("\n")[0]).toMatch(/^1\|1\|unix\|.*\|grpc\|$/);
      expect(run.stdout).not.toContain("noisy module loaded");
      expect(run.stderr).toContain("noisy module loaded");
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });

  // An empty engine variable in each: the executable's own default (h2), whatever this run's engine is.
  test.each([
    ["the h2-only executable serves go-plugin's multiplexed broker: a Go host with GRPCBrokerMultiplex drives it over one connection", "-mux"],
    ["AutoMTLS: node:crypto and TLS, left out of the snapshot, load when a Go host with AutoMTLS asks for them", "-automtls"],
  ])("%s", async (_name, flag) => {
    const s = scratchDir();
    try {
      const r = await runGoHost(["-cmd", exe, "-scenario", "bidirectional", flag], { PLUGIN_UNIX_SOCKET_DIR: s.path, TMPDIR: s.path, GO_PLUGIN_TS_ENGINE: "" });
      expect(r.error).toBe("");
      expect(r).toMatchObject({ ok: true, round_trips_ok: 101, killed_gracefully: true });
      expect(s.leftovers()).toEqual([]);
    } finally {
      s.remove();
    }
  });
});

const LOOP_HOST = join(BIN, "loop-host");
const LOOP_ENV = join(BIN, "loop-env");

interface LoopRun {
  result: Record<string, any>;
  code: number | null;
  stderr: string;
  /** Pids the Go host logged for the plugins it started. */
  pluginPids: number[];
}

/** chainlink-common's Go host (loop.NewRelayerService + loop.NewMedianService) with the given plugin commands. */
function runLoopHost(args: string[]): Promise<LoopRun> {
  return new Promise((resolve, reject) => {
    const s = scratchDir();
    execFile(LOOP_HOST, ["-v", ...args], { cwd: s.path, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      s.remove();
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        const pluginPids = [...stderr.matchAll(/"msg":"plugin started".*?"pid":(\d+)/g)].map((m) => Number(m[1]));
        resolve({ result: JSON.parse(last), code: typeof err?.code === "number" ? err.code : err ? null : 0, stderr, pluginPids });
      } catch {
        reject(new Error(`loop-host gave no JSON (${err?.message ?? "exit 0"}):\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`));
      }
    });
  });
}

/** The environment a Go LOOP host gives its plugins (EnvConfig{}.AsCmdEnv(), from Go). */
function goZeroEnv(): Record<string, string> {
  const dump = JSON.parse(execFileSync(LOOP_ENV, [], { encoding: "utf8", timeout: 30_000 })) as { zero: string[] };
  return Object.fromEntries(dump.zero.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** What Go's loop.NewStartedServer says about `env` (interop/.bin/loop-env -parse). */
function goParse(env: Record<string, string>): Promise<{ ok: boolean; error: string; stage: string }> {
  return new Promise((resolve, reject) =>
    execFile(LOOP_ENV, ["-parse"], { env, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`loop-env -parse failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop()!));
    }),
  );
}

/** Runs an executable plugin directly until it exits (or `onLine` ends it), collecting its output. */
function runPlugin(
  exe: string,
  env: Record<string, string>,
  onLine?: (line: string, kill: () => void) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      if (onLine && stdout.includes("\n")) {
        const line = stdout.slice(0, stdout.indexOf("\n"));
        const cb = onLine;
        onLine = undefined;
        cb(line, () => child.kill("SIGTERM"));
      }
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe("chainlink-common's Go LOOP host × the TS relayer and median plugins as executables", () => {
  let relayerExe: string;
  let medianExe: string;
  beforeAll(async () => {
    relayerExe = (await pluginExecutable("loop-relayer", "test/fixtures/loop/relayer-plugin.ts")).path;
    medianExe = (await pluginExecutable("loop-median", "test/fixtures/loop/median-plugin.ts")).path;
  }, 2 * BUILD_MS);

  test("a full median round; the plugins' environment holds only the CL_* settings", async () => {
    const run = await runLoopHost(["-timeout", "90s", "-relayer-cmd", relayerExe, "-median-cmd", medianExe]);
    const r = run.result;
    expect((r.steps as Array<{ ok: boolean }>).filter((s) => !s.ok)).toEqual([]);
    expect(r).toMatchObject({ ok: true, error: "", should_report: true, should_accept: true, should_transmit: true });
    expect(run.code).toBe(0);
    expect(r.relayer_cmd).toEqual([relayerExe]);
    expect(r.median_cmd).toEqual([medianExe]);
    expect(r.report_hex).toBe(Buffer.from(F.REPORT).toString("hex"));
    expect(r.errorlog_messages).toEqual([F.SAVED_ERROR]);
    // The Go host filed both TS plugins' services under its own names (health via loop.Service).
    expect(r.health).toMatchObject({
      "RelayerService.PluginRelayerClient.staticPluginRelayer": "",
      "MedianService.PluginMedianClient.tsMedianFactoryServer": "",
    });
    // The environment the Go host gave them: EnvConfig.AsCmdEnv() and the socket dir, no PATH or HOME.
    expect(r.extra_env.every((kv: string) => kv.startsWith("PLUGIN_UNIX_SOCKET_DIR="))).toBe(true);
    expect(r.leftover_children).toBe(0);
    expect(run.pluginPids.length).toBe(2);
    for (const pid of run.pluginPids) expect(processAlive(pid)).toBe(false);
    expect(processesMatching(relayerExe)).toEqual([]);
    expect(processesMatching(medianExe)).toEqual([]);
  });

  describe("the LOOP runtime (serveLoop) in the executable", () => {
    const cookie = LOOP_HANDSHAKES.relayer;
    let zero: Record<string, string>;
    beforeAll(() => {
      zero = goZeroEnv();
    });

    test.each([
      ["a malformed port", { CL_PROMETHEUS_PORT: "90x" }],
      ["a malformed boolean", { CL_TRACING_ENABLED: "maybe" }],
      ["a missing number", { CL_MERCURY_TRANSMITTER_TRANSMIT__QUEUE_MAX_SIZE: undefined }],
      ["a duration without unit", { CL_DATABASE_URL: "postgres://u:p@localhost:5432/db", CL_DATABASE_LOCK_TIMEOUT: "5" }],
    ])("%s: Go's error text, status 1, no handshake", async (_what, change) => {
      const env: Record<string, string> = { ...zero };
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      const go = await goParse(env);
      expect(go).toMatchObject({ ok: false, stage: "env" });
      const ts = await runPlugin(relayerExe, { ...env, [cookie.magicCookieKey]: cookie.magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: String(cookie.protocolVersion) });
      expect(ts.code).toBe(1);
      expect(ts.stdout).toBe("");
      const lines = ts.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ "@level": "fatal", "@message": `Failed to start server: ${go.error}` });
    });

    test.each([["70000"], ["-1"]])("CL_PROMETHEUS_PORT=%s, outside the port range: Go's bind error, status 1, no handshake", async (port) => {
      const env = { ...zero, CL_PROMETHEUS_PORT: port };
      const go = await goParse(env);
      expect(go).toMatchObject({ ok: false, stage: "server" });
      const ts = await runPlugin(relayerExe, { ...env, [cookie.magicCookieKey]: cookie.magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: "1" });
      expect(ts).toMatchObject({ code: 1, stdout: "" });
      expect(JSON.parse(ts.stderr.trim())).toMatchObject({ "@level": "fatal", "@message": `Failed to start server: ${go.error}` });
    });

    test("a busy CL_PROMETHEUS_PORT: Go's listen error, status 1, no handshake", async () => {
      const busy = createServer();
      await new Promise<void>((r) => busy.listen(0, r));
      try {
        const env = { ...zero, CL_PROMETHEUS_PORT: String((busy.address() as AddressInfo).port) };
        const go = await goParse(env);
        expect(go).toMatchObject({ ok: false, stage: "server" });
        const ts = await runPlugin(relayerExe, { ...env, [cookie.magicCookieKey]: cookie.magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: "1" });
        expect(ts).toMatchObject({ code: 1, stdout: "" });
        expect(JSON.parse(ts.stderr.trim())).toMatchObject({ "@level": "fatal", "@message": `Failed to start server: ${go.error}` });
      } finally {
        busy.close();
      }
    });

    test("metrics answer on CL_PROMETHEUS_PORT while the plugin serves, and stop with it", async () => {
      const port = await freePort();
      const s = scratchDir();
      try {
        let scraped: { status: number; body: string } | undefined;
        let error: unknown;
        const env = {
          ...zero,
          CL_PROMETHEUS_PORT: String(port),
          [cookie.magicCookieKey]: cookie.magicCookieValue,
          PLUGIN_PROTOCOL_VERSIONS: "1",
          PLUGIN_UNIX_SOCKET_DIR: s.path,
        };
        const run = await runPlugin(relayerExe, env, (line, kill) => {
          // Scraped only after the handshake line, i.e. while the plugin serves.
          expect(line).toMatch(new RegExp(`^1\\|${cookie.protocolVersion}\\|unix\\|`));
          fetch(`http://127.0.0.1:${port}/metrics`)
            .then(async (res) => (scraped = { status: res.status, body: await res.text() }))
            .catch((err) => (error = err))
            .finally(kill);
        });
        expect(error).toBeUndefined();
        expect(scraped?.status).toBe(200);
        expect(scraped?.body).toMatch(/^# HELP process_cpu_user_seconds_total /m);
        expect(run.signal ?? run.code).not.toBeNull();
        // Gone with the process: the port is free again, the socket removed.
        await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
        expect(s.leftovers()).toEqual([]);
      } finally {
        s.remove();
      }
    });
  });
});
