// go-plugin's Managed clients: killed by cleanupClients() and when the host exits.
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cleanupClients, Client } from "../src/index.js";
import { goPluginCmd, processAlive, ROOT, TEST_HANDSHAKE, tsPluginCmd } from "./helpers.js";

function runHost(...args: string[]): Promise<{ pid: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = execFile(process.execPath, ["--import", "tsx", "test/fixtures/managed-host.ts", ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout) => {
      try {
        resolve({ pid: JSON.parse(stdout.trim()).pid, code: p.exitCode });
      } catch {
        reject(err ?? new Error(`no pid from host: ${stdout}`));
      }
    });
  });
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

test.each([[[]], [["--crash"]]])("a managed plugin dies with its host (%j)", async (args) => {
  const { pid } = await runHost(...args);
  expect(pid).toBeGreaterThan(0);
  expect(await gone(pid)).toBe(true);
});

test("cleanupClients() kills every managed client gracefully, in parallel", async () => {
  const clients = [goPluginCmd(), tsPluginCmd()].map(
    (cmd) => new Client({ handshakeConfig: TEST_HANDSHAKE, plugins: { test: {} }, cmd, managed: true, stdin: "ignore", logger: { log() {} } }),
  );
  await Promise.all(clients.map((c) => c.ping()));
  await cleanupClients();
  for (const c of clients) {
    expect(c.exited).toBe(true);
    expect(c.forceKilled).toBe(false);
    expect(processAlive(c.pid)).toBe(false);
  }
});

test("a TS plugin exits by itself when its host is SIGKILLed, even behind a forking sh -c", async () => {
  const host = spawn(process.execPath, ["--import", "tsx", "test/fixtures/doomed-host.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    host.once("exit", () => reject(new Error(`host exited early: ${out}`)));
  });
  const { shPid } = JSON.parse(line) as { shPid: number };
  const children = readFileSync(`/proc/${shPid}/task/${shPid}/children`, "utf8").trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  const pluginPid = children[0]!;
  expect(processAlive(pluginPid)).toBe(true);
  host.kill("SIGKILL");
  expect(await gone(pluginPid, 8000)).toBe(true);
  expect(await gone(shPid, 3000)).toBe(true);
});

test.each(["go", "ts", "loop"])("after a full session (%s) the host process ends by itself: nothing left open", async (mode) => {
  const host = spawn(process.execPath, ["--import", "tsx", "test/fixtures/clean-exit-host.ts", mode], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  host.stdout!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => {
      host.kill("SIGKILL");
      resolve(-1);
    }, 45_000);
    host.once("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  expect(out).toContain("done");
  expect(code).toBe(0);
}, 60_000);
