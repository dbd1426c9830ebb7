// TypeScript counterpart of `interop/.bin/loop-host -recover N`: the library's
// RelayerService (supervised by PluginService, default settings) drives
// chainlink-common v0.11.1's Go test plugin as relayer; after a first
// GetChainStatus it N times SIGKILLs the plugin process and times how long
// until GetChainStatus succeeds again. The call is made at once after the
// kill, with a 30 s deadline, so its latency is the recovery time: relaunch,
// handshake, Keystore/CSAKeystore/CapabilitiesRegistry served again,
// NewRelayer, dial, the call. Before each kill the plugin has been up for the
// default healthy period (10 s, -settle-ms), so every crash is a first crash
// and relaunches at once, without backoff. Bundled to
// bench/.build/loop-ts-recovery.mjs by bench/lib.ts and run in its own node
// process. Prints one JSON line.
//
//   node bench/.build/loop-ts-recovery.mjs -recover 10 [-settle-ms 10500] [-plugin PATH]
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RelayerService } from "../src/loop/index.js";
import * as F from "../examples/loop/fixtures.js";

function repoRoot(): string {
  let dir = join(fileURLToPath(import.meta.url), "..");
  for (let i = 0; i < 3 && !existsSync(join(dir, "interop", ".bin")); i++) dir = join(dir, "..");
  return dir;
}

function usage(msg: string): never {
  process.stderr.write(`loop-ts-recovery: ${msg}\nusage: loop-ts-recovery -recover N [-plugin PATH]\n`);
  process.exit(2);
}

function parseFlags(argv: string[]): { n: number; settleMs: number; plugin: string } {
  let n = 0;
  let settleMs = 10_500;
  let plugin = join(repoRoot(), "interop", ".bin", "loop-test-plugin");
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? usage(`flag -${name} needs a value`);
    if (name === "recover") n = Number(value());
    else if (name === "plugin") plugin = value();
    else if (name === "settle-ms") settleMs = Number(value());
    else usage(`unknown flag ${argv[i]}`);
  }
  if (!Number.isInteger(n) || n <= 0) usage("-recover: not a positive integer");
  if (!Number.isInteger(settleMs) || settleMs < 0) usage("-settle-ms: not a non-negative integer");
  if (!existsSync(plugin)) usage(`plugin ${plugin} not found (run node scripts/interop-build.mjs)`);
  return { n, settleMs, plugin };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function main(): Promise<void> {
  const { n, settleMs, plugin } = parseFlags(process.argv.slice(2));
  const socketDir = mkdtempSync(join(tmpdir(), "loop-ts-recovery-"));
  const errors: string[] = [];
  const pids: number[] = [];
  const recovery: number[] = [];
  const relayer = new RelayerService({
    cmd: { command: plugin, args: ["-cmd", "relayer", "-static-checks"] },
    config: F.RELAYER_CONFIG,
    keystore: F.KEYSTORE,
    csaKeystore: F.KEYSTORE,
    logger: { log() {} },
    clientOptions: { unixSocketConfig: { tempDir: socketDir } },
  });
  const chainStatus = async () => {
    const s = await relayer.getChainStatus({ deadline: 30_000 });
    if (s.id !== "some_chain") throw new Error(`chain id ${JSON.stringify(s.id)}, want "some_chain"`);
  };
  try {
    await chainStatus();
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, settleMs));
      const pid = relayer.client?.pid;
      if (!pid || !alive(pid)) throw new Error(`kill ${i + 1}: no live plugin process`);
      pids.push(pid);
      const t0 = performance.now();
      process.kill(pid, "SIGKILL");
      await chainStatus();
      recovery.push(Math.round((performance.now() - t0) * 1000) / 1000);
    }
    const last = relayer.client?.pid;
    if (last) pids.push(last);
  } catch (err) {
    errors.push((err as Error).message);
  } finally {
    await relayer.close().catch((err) => errors.push(`close: ${(err as Error).message}`));
  }
  const stillAlive = pids.filter(alive).length;
  if (stillAlive) errors.push(`${stillAlive} plugin process(es) still alive after close`);
  const leftover = readdirSync(socketDir).length;
  rmSync(socketDir, { recursive: true, force: true });
  const res = { ok: errors.length === 0, error: errors.join("; "), recovery_ms: recovery, generations: relayer.plugin.generation, leftover_plugin_sockets: leftover };
  process.stdout.write(JSON.stringify(res) + "\n", () => process.exit(res.ok ? 0 : 1));
}

await main();
