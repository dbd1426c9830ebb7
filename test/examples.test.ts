// The examples against go-plugin's own example binaries (interop/.bin): the
// unchanged Go `kv` and `counter` hosts with the TypeScript plugins, and the
// TypeScript host CLIs with the Go plugins. Every case runs in a scratch dir
// with private socket dirs and checks that no process or socket outlives it.
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { nodeTs, parseLaunch, parseSumCallbacks, processesUnder, runHost, shellCommand, type HostRun } from "../examples/support.js";
import { BIN, processAlive, scratchDir } from "./helpers.js";

const GO_KV_HOST = [join(BIN, "kv")];
const GO_KV_PLUGIN = shellCommand([join(BIN, "kv-go-grpc")]);
const TS_KV_HOST = nodeTs("examples/kv/host.ts");
const TS_KV_PLUGIN = shellCommand(nodeTs("examples/kv/plugin.ts"));
const GO_COUNTER_HOST = [join(BIN, "counter")];
const GO_COUNTER_PLUGIN = shellCommand([join(BIN, "counter-go-grpc")]);
const TS_COUNTER_HOST = nodeTs("examples/counter/host.ts");
const TS_COUNTER_PLUGIN = shellCommand(nodeTs("examples/counter/plugin.ts"));

/** True for a running process; a zombie waiting to be reaped counts as gone. */
function running(pid: number | undefined): boolean {
  if (!processAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/**
 * A scratch area: `cwd` for the host (the plugins write kv_<key> there),
 * `sockets` as PLUGIN_UNIX_SOCKET_DIR (plugin listeners), `tmp` as TMPDIR
 * (host-side broker listeners).
 */
function arena() {
  const s = scratchDir();
  const dirs = { cwd: join(s.path, "cwd"), sockets: join(s.path, "sockets"), tmp: join(s.path, "tmp") };
  for (const d of Object.values(dirs)) mkdirSync(d);
  const runs: HostRun[] = [];
  return {
    ...dirs,
    runs,
    remove: s.remove,
    /** Runs one host command with the plugin command in `pluginVar`. */
    async host(argv: string[], args: string[], pluginVar: string, plugin: string): Promise<HostRun> {
      const run = await runHost([...argv, ...args], {
        cwd: dirs.cwd,
        env: {
          ...process.env,
          [pluginVar]: plugin,
          KV_PROTO: "grpc",
          KV_LOG_LEVEL: "debug",
          COUNTER_LOG_LEVEL: "debug",
          PLUGIN_UNIX_SOCKET_DIR: dirs.sockets,
          TMPDIR: dirs.tmp,
        },
      });
      runs.push(run);
      return run;
    },
  };
}

type Arena = ReturnType<typeof arena>;

/** The AddHelper.Sum callbacks one host run logged; fails showing its stderr when there are none. */
function callbacks(run: HostRun): string[] {
  const found = parseSumCallbacks(run.stderr);
  if (!found.length) throw new Error(`no AddHelper callback in the host's log:\n${run.stderr}`);
  return found.map((c) => `${c.a}+${c.b}${c.r === undefined ? "" : `=${c.r}`}`);
}

function ok(run: HostRun): HostRun {
  if (run.code !== 0) throw new Error(`host exited ${run.code ?? run.signal}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** Every launch negotiated v1 on a socket in our dir, and nothing outlived the hosts. */
function expectCleanRuns(a: Arena, opts: { tsPlugin: boolean }): void {
  expect(a.runs.length).toBeGreaterThan(0);
  for (const run of a.runs) {
    const t = parseLaunch(run.stderr);
    expect(t.version).toBe(1);
    expect(t.network).toBe("unix");
    expect(t.address?.startsWith(a.sockets + "/")).toBe(true);
    expect(t.shellPid).toBeDefined();
    expect(running(t.shellPid)).toBe(false);
    if (opts.tsPlugin) {
      // `sh -c` under dash forks: the plugin is the host's grandchild.
      expect(t.pluginPid).toBeDefined();
      expect(t.pluginPid).not.toBe(t.shellPid);
      expect(running(t.pluginPid)).toBe(false);
    }
  }
  expect(processesUnder(a.cwd).filter(running)).toEqual([]);
  expect(readdirSync(a.sockets)).toEqual([]);
  // TMPDIR also holds tsx's compile cache; only sockets count.
  expect(readdirSync(a.tmp).filter((f) => /^plugin\d+$/.test(f))).toEqual([]);
}

let a: Arena;
beforeEach(() => {
  a = arena();
});
afterEach(() => {
  a.remove();
});

describe("kv (go-plugin examples/grpc)", () => {
  test("go-plugin's Go host with the TS plugin", async () => {
    ok(await a.host(GO_KV_HOST, ["put", "hello", "world"], "KV_PLUGIN", TS_KV_PLUGIN));
    expect(readFileSync(join(a.cwd, "kv_hello"), "utf8")).toBe("world\n\nWritten from plugin-ts");
    const get = ok(await a.host(GO_KV_HOST, ["get", "hello"], "KV_PLUGIN", TS_KV_PLUGIN));
    expect(get.stdout).toBe("world\n\nWritten from plugin-ts\n");
    expectCleanRuns(a, { tsPlugin: true });
  });

  test("the TS host CLI with go-plugin's Go plugin", async () => {
    ok(await a.host(TS_KV_HOST, ["put", "hello", "world"], "KV_PLUGIN", GO_KV_PLUGIN));
    const get = ok(await a.host(TS_KV_HOST, ["get", "hello"], "KV_PLUGIN", GO_KV_PLUGIN));
    expect(get.stdout).toBe("world\n\nWritten from plugin-go-grpc\n");
    // A plugin-side error comes back as the RPC's status.
    const missing = await a.host(TS_KV_HOST, ["get", "nope"], "KV_PLUGIN", GO_KV_PLUGIN);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^error: UNKNOWN: open kv_nope: no such file or directory/);
    expectCleanRuns(a, { tsPlugin: false });
  });

  test("the TS host CLI with the TS plugin", async () => {
    ok(await a.host(TS_KV_HOST, ["put", "hello", "world"], "KV_PLUGIN", TS_KV_PLUGIN));
    const get = ok(await a.host(TS_KV_HOST, ["get", "hello"], "KV_PLUGIN", TS_KV_PLUGIN));
    expect(get.stdout).toBe("world\n\nWritten from plugin-ts\n");
    expectCleanRuns(a, { tsPlugin: true });
  });
});

describe("counter with a broker callback (go-plugin examples/bidirectional)", () => {
  test("go-plugin's Go host with the TS plugin", async () => {
    for (let i = 0; i < 2; i++) ok(await a.host(GO_COUNTER_HOST, ["put", "n", "1"], "COUNTER_PLUGIN", TS_COUNTER_PLUGIN));
    const get = ok(await a.host(GO_COUNTER_HOST, ["get", "n"], "COUNTER_PLUGIN", TS_COUNTER_PLUGIN));
    expect(get.stdout).toBe("2\n");
    // The TS plugin did the additions by calling the Go host back.
    expect(a.runs.slice(0, 2).map(callbacks)).toEqual([["0+1=1"], ["1+1=2"]]);
    expect(a.runs.slice(0, 2).map((r) => parseSumCallbacks(r.stderr)[0]!.brokerId)).toEqual([1, 1]);
    expect(readFileSync(join(a.cwd, "kv_n"), "utf8")).toBe('{"Value":2}');
    expectCleanRuns(a, { tsPlugin: true });
  });

  test("the TS host CLI with go-plugin's Go plugin", async () => {
    for (let i = 0; i < 2; i++) ok(await a.host(TS_COUNTER_HOST, ["put", "n", "1"], "COUNTER_PLUGIN", GO_COUNTER_PLUGIN));
    const get = ok(await a.host(TS_COUNTER_HOST, ["get", "n"], "COUNTER_PLUGIN", GO_COUNTER_PLUGIN));
    expect(get.stdout).toBe("2\n");
    // The Go plugin called the TS host's AddHelper for each put.
    expect(a.runs.slice(0, 2).map(callbacks)).toEqual([["0+1"], ["1+1"]]);
    expect(existsSync(join(a.cwd, "kv_n"))).toBe(true);
    expectCleanRuns(a, { tsPlugin: false });
  });

  test("the TS host CLI with the TS plugin", async () => {
    for (let i = 0; i < 2; i++) ok(await a.host(TS_COUNTER_HOST, ["put", "n", "1"], "COUNTER_PLUGIN", TS_COUNTER_PLUGIN));
    const get = ok(await a.host(TS_COUNTER_HOST, ["get", "n"], "COUNTER_PLUGIN", TS_COUNTER_PLUGIN));
    expect(get.stdout).toBe("2\n");
    expect(a.runs.slice(0, 2).map(callbacks)).toEqual([["0+1=1"], ["1+1=2"]]);
    expectCleanRuns(a, { tsPlugin: true });
  });
});
