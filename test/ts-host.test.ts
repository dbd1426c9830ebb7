import type { Channel } from "../src/index.js";
import { tmpdir } from "node:os";
// A TypeScript host driving real Go (go-plugin v1.8.0) and TypeScript plugins.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Client, Code, createClient, PluginError, RpcError, type ClientConfig, type ClientOf } from "../src/index.js";
import { PingPong, Test } from "./gen/grpctest/test_pb.js";
import { Echo } from "./gen/bench/echo_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../src/gen/grpc/health/v1/health_pb.js";
import {
  collectingLogger,
  goPluginCmd,
  processAlive,
  scratchDir,
  TEST_HANDSHAKE,
  tsPluginCmd,
} from "./helpers.js";

type Kind = "go" | "ts";
const cmdFor = (kind: Kind, ...args: string[]) => (kind === "go" ? goPluginCmd(...args) : tsPluginCmd(...args));

const testPlugin = {
  test: {
    grpcClient: ({ channel }: { channel: Channel }) => ({
      test: createClient(Test, channel),
      echo: createClient(Echo, channel),
    }),
  },
};
type TestClients = { test: ClientOf<typeof Test>; echo: ClientOf<typeof Echo> };

function newClient(kind: Kind, args: string[] = [], extra: Partial<ClientConfig> = {}) {
  const logger = collectingLogger();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const client = new Client({
    handshakeConfig: TEST_HANDSHAKE,
    plugins: testPlugin,
    cmd: cmdFor(kind, ...args),
    logger,
    stdin: "ignore",
    // A private socket dir, removed on kill: Go plugins leave brokered sockets behind.
    unixSocketConfig: { tempDir: tmpdir() },
    syncStdout: (d) => stdout.push(Buffer.from(d)),
    syncStderr: (d) => stderr.push(Buffer.from(d)),
    ...extra,
  });
  return { client, logger, stdout, stderr };
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each<Kind>(["go", "ts"])("TS host × %s plugin", (kind) => {
  test("handshake, calls, ping, streaming, stdio, logs, graceful shutdown", async () => {
    const { client, logger, stdout, stderr } = newClient(kind);
    try {
      const addr = await client.start();
      expect(addr.network).toBe("unix");
      expect(existsSync(addr.address)).toBe(true);
      expect(client.negotiatedVersion).toBe(1);

      const { test } = await client.dispense<TestClients>("test");
      expect((await test.double({ Input: 21 })).Output).toBe(42);
      await client.ping();

      await test.printKV({ Key: "hello", Value: { case: "ValueString", value: "world" } });
      await waitFor(() => logger.entries.some((e) => e.message === "PrintKV called"));
      const kv = logger.entries.find((e) => e.message === "PrintKV called");
      expect(kv).toMatchObject({ level: "info", args: { hello: "world" } });
      expect(kv?.name).toMatch(/^plugin\./);

      async function* inputs() {
        for (let i = 21; i <= 26; i++) yield { Input: i };
      }
      const outs: number[] = [];
      for await (const r of test.stream(inputs())) outs.push(r.Output);
      expect(outs).toEqual([21, 22, 23, 24, 25, 26]);

      await test.printStdio({ stdout: Buffer.from("hello\nworld!"), stderr: Buffer.from("and some error\n messages!") });
      await waitFor(() => Buffer.concat(stdout).length >= 12 && Buffer.concat(stderr).length >= 25);
      expect(Buffer.concat(stdout).toString()).toBe("hello\nworld!");
      expect(Buffer.concat(stderr).toString()).toBe("and some error\n messages!");

      const pid = client.pid;
      await client.kill();
      expect(client.forceKilled).toBe(false);
      expect(client.exitCode).toBe(0);
      expect(processAlive(pid)).toBe(false);
      expect(existsSync(addr.address)).toBe(false);
      // Kill is idempotent and safe to call concurrently.
      await Promise.all([client.kill(), client.kill()]);
    } finally {
      await client.kill();
    }
  });

  test("health: Check of `plugin` is SERVING, unknown is NOT_FOUND, Watch sends the status", async () => {
    const { client } = newClient(kind);
    try {
      const { channel } = await client.client();
      const health = createClient(Health, channel);
      expect((await health.check({ service: "plugin" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      await expect(health.check({ service: "nope" })).rejects.toMatchObject({ code: Code.NOT_FOUND });
      const ac = new AbortController();
      for await (const r of health.watch({ service: "plugin" }, { signal: ac.signal })) {
        expect(r.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
        ac.abort();
        break;
      }
    } finally {
      await client.kill();
    }
  });

  test("log levels from the plugin keep their level", async () => {
    const { client, logger } = newClient(kind, ["-log-levels"].map((f) => (kind === "ts" ? `-${f}` : f)));
    try {
      await client.start();
      await waitFor(() => logger.entries.some((e) => e.message === "level error"));
      for (const level of ["trace", "debug", "info", "warn", "error"]) {
        const e = logger.entries.find((x) => x.message === `level ${level}`);
        expect(e).toMatchObject({ level, args: { n: 1 } });
      }
    } finally {
      await client.kill();
    }
  });

  test("version negotiation picks the highest common version", async () => {
    const versionFlag = kind === "ts" ? "--versions" : "-versions";
    const { client } = newClient(kind, [versionFlag, "1,2,3"], {
      plugins: undefined,
      versionedPlugins: { 2: testPlugin, 3: testPlugin, 4: testPlugin },
    });
    try {
      await client.start();
      expect(client.negotiatedVersion).toBe(3);
      const { test } = await client.dispense<TestClients>("test");
      expect((await test.double({ Input: 2 })).Output).toBe(4);
    } finally {
      await client.kill();
    }
  });

  test("no common version: the plugin offers its lowest and the host refuses it", async () => {
    const versionFlag = kind === "ts" ? "--versions" : "-versions";
    const { client } = newClient(kind, [versionFlag, "5,6"], { plugins: undefined, versionedPlugins: { 2: testPlugin, 3: testPlugin } });
    const err = await client.start().catch((e) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe("APP_VERSION");
    expect(err.message).toContain("incompatible API version with plugin. Plugin version: 5, Client versions: [2 3]");
    expect(processAlive(client.pid)).toBe(false);
  });

  test("a message over the plugin's receive limit fails with RESOURCE_EXHAUSTED and the plugin lives on", async () => {
    const { client } = newClient(kind);
    try {
      const { echo } = await client.dispense<TestClients>("test");
      const big = new Uint8Array(5 * 1024 * 1024);
      const err = await echo.echo({ value: big }).catch((e) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
      const small = new Uint8Array(3 * 1024 * 1024).fill(7);
      expect(Buffer.from((await echo.echo({ value: small })).value).equals(small)).toBe(true);
    } finally {
      await client.kill();
    }
  });

  test("200 echoes of 1 MiB, 64 in flight, all come back (flow control never stalls the connection)", async () => {
    // Before Node 24, a Node host and a Node plugin that both enlarged their HTTP/2 connection
    // window stalled here for good (the calls hung until their deadlines).
    const { client } = newClient(kind);
    try {
      const { echo } = await client.dispense<TestClients>("test");
      const msg = new Uint8Array(1024 * 1024).fill(9);
      let left = 200;
      let ok = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (left-- > 0) if ((await echo.echo({ value: msg }, { deadline: 30_000 })).value.length === msg.length) ok++;
        }),
      );
      expect(ok).toBe(200);
    } finally {
      await client.kill();
    }
  });

  test("a plugin that ignores Shutdown is SIGKILLed after the grace period", async () => {
    const flag = kind === "ts" ? "--ignore-shutdown" : "-ignore-shutdown";
    const { client, logger } = newClient(kind, [flag], { killGraceMs: 500 });
    await client.start().catch(async (e) => {
      await client.kill();
      throw e;
    });
    await client.ping();
    const pid = client.pid;
    const t0 = Date.now();
    await client.kill();
    const took = Date.now() - t0;
    expect(client.forceKilled).toBe(true);
    expect(client.exitSignal).toBe("SIGKILL");
    expect(took).toBeGreaterThanOrEqual(450);
    expect(logger.entries.some((e) => e.message === "plugin failed to exit gracefully")).toBe(true);
    expect(processAlive(pid)).toBe(false);
  });

  test("calls after the plugin dies fail with UNAVAILABLE, not a hang", async () => {
    const { client } = newClient(kind);
    try {
      const { test } = await client.dispense<TestClients>("test");
      await test.double({ Input: 1 });
      process.kill(client.pid!, "SIGKILL");
      await client.done;
      const err = await test.double({ Input: 1 }, { deadline: 5000 }).catch((e) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.UNAVAILABLE);
      expect(client.exitSignal).toBe("SIGKILL");
    } finally {
      await client.kill();
    }
  });

  test("socket in a private directory, group-owned 0660, removed with the directory", async () => {
    const dir = scratchDir();
    const gid = process.getgid!();
    const { client } = newClient(kind, [], { unixSocketConfig: { tempDir: dir.path, group: String(gid) } });
    try {
      const addr = await client.start();
      expect(addr.address.startsWith(dir.path)).toBe(true);
      const st = statSync(addr.address);
      expect(st.mode & 0o777).toBe(0o660);
      expect(st.gid).toBe(gid);
      await client.ping();
    } finally {
      await client.kill();
    }
    expect(dir.leftovers()).toEqual([]);
    dir.remove();
  });

  test("an unknown socket group fails start() with its name and leaves no directory behind", async () => {
    const dir = scratchDir();
    const { client } = newClient(kind, [], { unixSocketConfig: { tempDir: dir.path, group: "no-such-group-gpt" } });
    try {
      await expect(client.start()).rejects.toThrow('unknown socket group "no-such-group-gpt"');
    } finally {
      await client.kill();
    }
    expect(dir.leftovers()).toEqual([]);
    dir.remove();
  });
});

describe("TS host × Go plugin specifics", () => {
  test("a Go plugin's panic reaches the host logger at error, stack included (panic mode)", async () => {
    const { client, logger } = newClient("go");
    try {
      const { test } = await client.dispense<TestClients>("test");
      const err = await test.panic({ message: "invalid foo bar" }).catch((e) => e);
      expect(err.code).toBe(Code.UNAVAILABLE);
      await client.done;
      const i = logger.entries.findIndex((e) => e.message.startsWith("panic: invalid foo bar"));
      expect(i).toBeGreaterThanOrEqual(0);
      const after = logger.entries.slice(i).filter((e) => e.name?.startsWith("plugin.goplugin-test"));
      expect(after.length).toBeGreaterThan(5);
      expect(after.every((e) => e.level === "error")).toBe(true);
      expect(client.exitCode).toBe(2);
    } finally {
      await client.kill();
    }
  });
});

describe("TS host × TS plugin specifics", () => {
  test("tcp listener inside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT", async () => {
    const { client } = newClient("ts", ["--network", "tcp"], { minPort: 23456, maxPort: 23470 });
    try {
      const addr = await client.start();
      expect(addr.network).toBe("tcp");
      const port = Number(addr.address.split(":").pop());
      expect(port).toBeGreaterThanOrEqual(23456);
      expect(port).toBeLessThanOrEqual(23470);
      await client.ping();
    } finally {
      await client.kill();
    }
  });

  test("a configured receive limit lets larger messages through", async () => {
    const { client } = newClient("ts", ["--max-recv", String(16 * 1024 * 1024)]);
    try {
      const { echo } = await client.dispense<TestClients>("test");
      const big = new Uint8Array(9 * 1024 * 1024).fill(3);
      expect((await echo.echo({ value: big })).value.length).toBe(big.length);
    } finally {
      await client.kill();
    }
  });

  test("a handler's plain error reaches the host as UNKNOWN with its message; status errors keep their code", async () => {
    const { client } = newClient("ts");
    try {
      const { test } = await client.dispense<TestClients>("test");
      const err = await test.panic({ message: "boom" }).catch((e) => e);
      expect(err.code).toBe(Code.INTERNAL);
      expect(err.details).toBe("panic: boom");
      const { channel } = await client.client();
      // PingPong is served; a method of an unserved service is UNIMPLEMENTED.
      expect((await createClient(PingPong, channel).ping({})).msg).toBe("pong");
    } finally {
      await client.kill();
    }
  });

  test("a long socket directory is refused with the path named", async () => {
    const long = join("/tmp", "x".repeat(120));
    const { client } = newClient("ts", [], { unixSocketConfig: undefined });
    // PLUGIN_UNIX_SOCKET_DIR travels through the host environment here.
    process.env.PLUGIN_UNIX_SOCKET_DIR = long;
    try {
      const err = await client.start().catch((e) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect(err.message).toContain("over the limit of 107");
      expect(err.message).toContain(long);
    } finally {
      delete process.env.PLUGIN_UNIX_SOCKET_DIR;
      await client.kill();
    }
  });
});
