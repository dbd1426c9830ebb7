// Supervised LOOP plugins under the TS host: chainlink-common v0.11.1's Go test
// plugin (and the TS relayer plugin) SIGKILLed or crashing with -limit=N; the
// host relaunches, re-creates and re-dials, calls during downtime end by their
// deadline with UNAVAILABLE, and nothing is left behind.
import { getEventListeners } from "node:events";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Code, RpcError } from "../src/index.js";
import { MedianService, RelayerService, type LoopEvent, type RelayerServiceConfig } from "../src/loop/index.js";
import * as F from "../examples/loop/fixtures.js";
import { nodeTs } from "../examples/support.js";
import { BIN, processAlive, processesMatching, scratchDir } from "./helpers.js";

const PLUGIN = join(BIN, "loop-test-plugin");
const quiet = { log() {} };

/** Unix listeners and pipes this process holds (grpc-js sockets included). */
const handles = () => process.getActiveResourcesInfo().filter((r) => r === "PipeServerWrap" || r === "PipeWrap").length;

/** The handle count once closing sockets have finished closing (libuv closes them on a later tick). */
async function handlesSettled(baseline: number): Promise<number> {
  for (let i = 0; i < 40 && handles() > baseline; i++) await new Promise((r) => setTimeout(r, 50));
  return handles();
}

function relayerSetup(extra: Partial<RelayerServiceConfig> = {}) {
  const dir = scratchDir();
  const events: LoopEvent[] = [];
  const pids = new Set<number>();
  const relayer: RelayerService = new RelayerService({
    cmd: { command: PLUGIN, args: ["-cmd", "relayer", "-static-checks"] },
    config: F.RELAYER_CONFIG,
    keystore: F.KEYSTORE,
    csaKeystore: F.KEYSTORE,
    logger: quiet,
    clientOptions: { unixSocketConfig: { tempDir: dir.path } },
    onEvent: (e) => {
      events.push(e);
      const pid = relayer.client?.pid;
      if (e.kind === "launch" && pid) pids.add(pid);
    },
    ...extra,
  });
  /** Resolves when generation `n` is fully created. */
  const up = (n: number) =>
    new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.some((e) => e.kind === "up" && e.id === n)) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
  return { relayer, events, pids, dir, up };
}

async function expectNothingLeft(s: { pids: Set<number>; dir: ReturnType<typeof scratchDir> }) {
  for (const pid of s.pids) expect(processAlive(pid)).toBe(false);
  expect(s.dir.leftovers()).toEqual([]);
  s.dir.remove();
}

describe("supervised LOOP plugins (TS host × Go test plugin)", () => {
  test("the relayer SIGKILLed mid-round: relaunched, NewRelayer re-run, the next call succeeds; the proxied provider follows", async () => {
    const s = relayerSetup();
    const baseline = handles();
    const provider = s.relayer.supervisedProvider(F.RELAY_ARGS, F.PLUGIN_ARGS);
    const median = new MedianService({
      cmd: { command: PLUGIN, args: ["-cmd", "median"] },
      provider,
      contractId: F.CONTRACT_ID,
      dataSource: { observe: async () => F.DATA_SOURCE_VALUE },
      juelsPerFeeCoin: { observe: async () => F.JUELS_PER_FEE_COIN },
      gasPriceSubunits: { observe: async () => F.GAS_PRICE_SUBUNITS },
      errorLog: { saveError: async () => {} },
      logger: quiet,
      clientOptions: { unixSocketConfig: { tempDir: s.dir.path } },
    });
    const medianPids = new Set<number>();
    try {
      const { plugin } = await median.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG);
      medianPids.add(median.client!.pid!);
      expect(Buffer.from(await plugin.query(F.ROUND_TIMESTAMP))).toEqual(Buffer.from(F.QUERY));

      const first = s.relayer.client!;
      process.kill(first.pid!, "SIGKILL");
      // The next call waits for generation 2 (relaunched on the exit event, not on a tick).
      expect(await s.relayer.getChainStatus({ deadline: 30_000 })).toEqual({ id: "some_chain", enabled: true, config: "" });
      expect(s.relayer.plugin.generation).toBe(2);
      expect(s.relayer.client!.pid).not.toBe(first.pid);
      expect(first.exitSignal).toBe("SIGKILL");
      const down = s.events.find((e) => e.kind === "down" && e.id === 1);
      expect(down?.detail).toContain("killed by SIGKILL");
      expect(s.events.filter((e) => e.name === "PluginRelayer/NewRelayer")).toHaveLength(2);
      // The round goes on: the median plugin never depended on the dead process.
      expect(Buffer.from(await plugin.observation(F.ROUND_TIMESTAMP, F.QUERY))).toEqual(Buffer.from(F.OBSERVATION));
      // The provider is re-made on the new relayer: a new NewPluginProvider, same answers.
      expect(await (await provider.current()).offchainConfigDigester.configDigestPrefix()).toBe(F.PROVIDER.configDigestPrefix);
      // A new median generation runs NewMedianFactory, whose Go-side checks of the
      // provider travel through the host's proxy to relayer generation 2.
      process.kill(median.client!.pid!, "SIGKILL");
      const again = await median.newReportingPlugin(F.REPORTING_PLUGIN_CONFIG, { deadline: 30_000 });
      medianPids.add(median.client!.pid!);
      expect(median.plugin.generation).toBe(2);
      expect(again.info).toEqual(F.REPORTING_PLUGIN_INFO);
      expect(await s.relayer.healthReport()).toMatchObject({ RelayerService: "" });
    } finally {
      await median.close();
      await s.relayer.close();
    }
    for (const pid of medianPids) expect(processAlive(pid)).toBe(false);
    await expectNothingLeft(s);
    expect(await handlesSettled(baseline)).toBeLessThanOrEqual(baseline);
  });

  test("while down: a call fails by its deadline with UNAVAILABLE naming the restart and the exit; health says plugin unavailable; backoff doubles", async () => {
    // Generation 1 is healthy; 2–4 crash at their first call (-limit=1: exit 3); 5 is healthy again.
    const s = relayerSetup({
      cmd: (gen) => ({ command: PLUGIN, args: ["-cmd", "relayer", "-static-checks", ...(gen >= 2 && gen <= 4 ? ["-limit=1"] : [])] }),
      supervision: { backoffInitialMs: 300, backoffMaxMs: 600 },
    });
    try {
      await s.relayer.start();
      process.kill(s.relayer.client!.pid!, "SIGKILL");
      await s.relayer.plugin.client!.done;
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const err = await s.relayer.getChainStatus({ deadline: 200 }).catch((e) => e);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.UNAVAILABLE);
      expect(err.details).toMatch(/^RelayerService: plugin is restarting: generation \d /);
      expect(err.details).toMatch(/killed by SIGKILL|exited with code 3/);
      const health = await s.relayer.healthReport();
      expect(health.RelayerService).toMatch(/^plugin unavailable: generation \d/);
      await expect(s.relayer.ready()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
      // Fail-fast is per service; this one waits: a long deadline reaches generation 5.
      expect((await s.relayer.getChainStatus({ deadline: 30_000 })).id).toBe("some_chain");
      expect(s.relayer.plugin.generation).toBe(5);
      const downs = s.events.filter((e) => e.kind === "down").map((e) => e.detail ?? "");
      expect(downs.filter((d) => d.includes("exited with code 3"))).toHaveLength(3);
      // Relaunch delays: the exit of a generation restarts at once, later failures back off 300 → 600 (cap).
      expect(s.events.filter((e) => e.kind === "relaunch").map((e) => e.ms)).toEqual([0, 0, 300, 600, 600]);
      expect(await s.relayer.healthReport()).toMatchObject({ RelayerService: "" });
    } finally {
      await s.relayer.close();
    }
    await expectNothingLeft(s);
  });

  test("health pings on a live plugin hold no listeners between rounds: after 50+ pings the generation's abort listeners have not grown with them", async () => {
    const s = relayerSetup({ supervision: { pingIntervalMs: 5 } });
    try {
      await s.relayer.start();
      await new Promise((r) => setTimeout(r, 500));
      expect(s.events.filter((e) => e.kind === "down")).toEqual([]);
      // The generation's end signal is internal; its listeners are what a leak would pile up on.
      const ended = (s.relayer.plugin as unknown as { live: { gen: { ended: AbortSignal } } }).live.gen.ended;
      expect(getEventListeners(ended, "abort").length).toBeLessThanOrEqual(3);
    } finally {
      await s.relayer.close();
    }
    await expectNothingLeft(s);
  });

  test("fail-fast: a call while the plugin is down fails at once with UNAVAILABLE", async () => {
    const s = relayerSetup({
      cmd: (gen) => ({ command: PLUGIN, args: ["-cmd", "relayer", "-static-checks", ...(gen >= 2 ? ["-limit=1"] : [])] }),
      supervision: { failFast: true, backoffInitialMs: 1000, backoffMaxMs: 1000 },
    });
    try {
      await s.relayer.start();
      process.kill(s.relayer.client!.pid!, "SIGKILL");
      await s.relayer.plugin.client!.done;
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const err = await s.relayer.getChainStatus({ deadline: 20_000 }).catch((e) => e);
      expect(Date.now() - t0).toBeLessThan(500);
      expect(err).toMatchObject({ code: Code.UNAVAILABLE });
      expect(err.details).toContain("plugin is restarting");
    } finally {
      await s.relayer.close();
    }
    await expectNothingLeft(s);
  });

  test("crash injection: -limit=4 makes 20 generations in a row exit 3 on their first health ping; each is recovered, backoff observed, nothing leaks", async () => {
    // Each generation takes 3 calls on its main server (broker stream, stdio
    // stream, NewRelayer) and exits 3 on the 4th, the first ping.
    const s = relayerSetup({
      cmd: (gen) => ({ command: PLUGIN, args: ["-cmd", "relayer", "-static-checks", ...(gen <= 20 ? ["-limit=4"] : [])] }),
      supervision: { pingIntervalMs: 150, backoffInitialMs: 20, backoffMaxMs: 160, healthyAfterMs: 60_000 },
    });
    const baseline = handles();
    const served = new Set<number>();
    const failures: string[] = [];
    try {
      while (!served.has(21)) {
        try {
          served.add(await s.relayer.plugin.call((r, gen, o) => r.getChainStatus(o).then(() => gen.number), { deadline: 20_000 }));
        } catch (err) {
          const e = RpcError.from(err);
          if (e.code !== Code.UNAVAILABLE) throw err;
          failures.push(e.details);
        }
      }
      expect([...served].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      const downs = s.events.filter((e) => e.kind === "down");
      expect(downs.filter((e) => e.detail?.includes("exited with code 3"))).toHaveLength(20);
      expect(downs.filter((e) => !e.detail?.includes("exited with code 3"))).toEqual([]);
      // The first crash relaunches at once; the next ones back off 20, 40, 80, then the 160 cap.
      const delays = s.events.filter((e) => e.kind === "relaunch").map((e) => e.ms);
      expect(delays).toEqual([0, 0, 20, 40, 80, ...Array(16).fill(160)]);
      for (const f of failures) expect(f).toContain("plugin is restarting");
    } finally {
      await s.relayer.close();
    }
    expect(s.pids.size).toBe(21);
    await expectNothingLeft(s);
    expect(await handlesSettled(baseline)).toBeLessThanOrEqual(baseline);
  }, 120_000);

  test("storm: 16 callers for 20 s while the plugin is SIGKILLed every 500 ms: every call succeeds or fails UNAVAILABLE by its deadline, 0 hung", async () => {
    const s = relayerSetup();
    const DEADLINE_MS = 2000;
    // A call counts as hung if it outlives its deadline by more than this (event-loop slack on a loaded machine).
    const GRACE_MS = 1500;
    const until = Date.now() + 20_000;
    const stats = { ok: 0, unavailable: 0, other: [] as string[], hung: 0, worstMs: 0 };
    await s.relayer.start();
    const killer = setInterval(() => {
      const pid = s.relayer.client?.pid;
      if (pid && processAlive(pid)) process.kill(pid, "SIGKILL");
    }, 500);
    const caller = async () => {
      while (Date.now() < until) {
        const t0 = Date.now();
        try {
          await s.relayer.getChainStatus({ deadline: DEADLINE_MS });
          stats.ok++;
        } catch (err) {
          const e = RpcError.from(err);
          if (e.code === Code.UNAVAILABLE) stats.unavailable++;
          else stats.other.push(`${Code[e.code]}: ${e.details}`);
        }
        const took = Date.now() - t0;
        stats.worstMs = Math.max(stats.worstMs, took);
        if (took > DEADLINE_MS + GRACE_MS) stats.hung++;
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, caller));
    } finally {
      clearInterval(killer);
      await s.relayer.close();
    }
    expect(stats.other).toEqual([]);
    expect(stats.hung).toBe(0);
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.unavailable).toBeGreaterThan(0);
    expect(s.relayer.plugin.generation).toBeGreaterThanOrEqual(4);
    await expectNothingLeft(s);
  }, 60_000);
});

describe("supervised TS relayer plugin under the TS host", () => {
  test("SIGKILLed: relaunched and re-created; the next call succeeds and the old process is gone", async () => {
    const marker = randomUUID();
    const [command, ...args] = [...nodeTs("test/fixtures/loop/relayer-plugin.ts"), `--marker=${marker}`];
    const s = relayerSetup({ cmd: { command: command!, args } });
    try {
      expect((await s.relayer.getChainStatus({ deadline: 30_000 })).id).toBe("some_chain");
      const first = s.relayer.client!.pid!;
      process.kill(first, "SIGKILL");
      expect((await s.relayer.getChainStatus({ deadline: 30_000 })).id).toBe("some_chain");
      expect(s.relayer.plugin.generation).toBe(2);
      expect(processAlive(first)).toBe(false);
      expect(processesMatching(marker)).toHaveLength(1);
    } finally {
      await s.relayer.close();
    }
    expect(processesMatching(marker)).toEqual([]);
    await expectNothingLeft(s);
  }, 60_000);
});
