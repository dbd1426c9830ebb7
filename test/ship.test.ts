// Shipping a TypeScript plugin as one executable (`go-plugin-ts build`): the
// command's refusals, and the built executables under real Go hosts with no
// node on their PATH — go-plugin's unchanged examples/grpc KV host launching
// the TS KV plugin. Each executable is built once per content (test/executables.ts).
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { nodeTs, parseLaunch, runHost } from "../examples/support.js";
import { pluginExecutable } from "./executables.js";
import { BIN, processAlive, processesMatching, ROOT, scratchDir } from "./helpers.js";

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

describe("go-plugin's unchanged examples/grpc Go host × the TS KV plugin as one executable", () => {
  let kvExe: string;
  beforeAll(async () => {
    kvExe = (await pluginExecutable("kv", "examples/kv/plugin.ts")).path;
  }, BUILD_MS);

  test("put and get, with no node on the host's PATH", async () => {
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
  });
});
