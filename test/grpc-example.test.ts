// examples/grpc — a plain gRPC server and client built from the public API
// alone — run as programs against grpc-go peers (interop/cmd/rpcsemantics), on
// each engine: the example server under grpc-go's client, the example client
// against grpc-go's server.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { nodeTs } from "../examples/support.js";
import { BIN, scratchDir } from "./helpers.js";

const GO = join(BIN, "rpcsemantics");
const ENGINES = ["h2", "grpc-js"] as const;

/** Lines a process prints, and a promise for the first line matching `re`. */
function lines(p: ChildProcess): { all: string[]; waitFor(re: RegExp): Promise<string> } {
  const all: string[] = [];
  const waiters: Array<[RegExp, (l: string) => void]> = [];
  let buf = "";
  p.stdout!.setEncoding("utf8");
  p.stdout!.on("data", (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(line);
      for (const w of [...waiters]) if (w[0].test(line)) (waiters.splice(waiters.indexOf(w), 1), w[1](line));
    }
  });
  return {
    all,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const hit = all.find((l) => re.test(l));
        if (hit) return resolve(hit);
        waiters.push([re, resolve]);
        p.once("exit", (code) => reject(new Error(`exited (${code}) before printing ${re}; printed: ${all.join(" | ")}`)));
      }),
  };
}

describe.each(ENGINES)("examples/grpc on the %s engine", (engine) => {
  const env = { ...process.env, GO_PLUGIN_TS_ENGINE: engine };

  test("the example server under grpc-go's client: metadata, headers, trailers, details, abort reasons, a cancelled stream", async () => {
    const [node, ...args] = nodeTs("examples/grpc/server.ts");
    const server = spawn(node, args, { env, stdio: ["pipe", "pipe", "inherit"] });
    const out = lines(server);
    try {
      const [, network, address] = (await out.waitFor(/^listening /)).split(" ");
      const report = await new Promise<{ name: string; ok: boolean; error?: string }[]>((resolve, reject) =>
        execFile(GO, ["greeter-client", network, address], { timeout: 60_000 }, (err, stdout, stderr) => {
          try {
            resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
          } catch {
            reject(new Error(`greeter-client gave no report (${err?.message ?? "exit 0"}): ${stdout}\n${stderr}`));
          }
        }),
      );
      expect(report.filter((r) => !r.ok)).toEqual([]);
      expect(report).toHaveLength(5);
      // What the handlers saw: the request metadata and deadline, and why each aborted call ended.
      await out.waitFor(/^shout ended: /);
      expect(out.all).toContain('hello name="go" lang=fr deadline=set');
      // The two slow calls run one after the other: first with a 300 ms deadline, then cancelled by the
      // client. At the deadline grpc-go's client also resets the stream, so the server's own timer and
      // that RST_STREAM land together: the handler may see either reason, as a grpc-go handler's ctx.Err()
      // may. A call with no deadline that the client cancels is always CANCELLED.
      const slow = out.all.filter((l) => l.startsWith('hello name="slow"') || l.startsWith("slow ended: "));
      expect(slow).toHaveLength(4);
      expect(slow[0]).toBe('hello name="slow" lang=- deadline=set');
      expect(slow[1]).toMatch(/^slow ended: (DEADLINE_EXCEEDED|CANCELLED)$/);
      expect(slow.slice(2)).toEqual(['hello name="slow" lang=- deadline=none', "slow ended: CANCELLED"]);
      expect(out.all).toContain("shout ended: CANCELLED");
    } finally {
      server.stdin!.end();
      const t = setTimeout(() => server.kill("SIGKILL"), 10_000);
      if (server.exitCode === null) await once(server, "exit");
      clearTimeout(t);
    }
    expect(server.exitCode).toBe(0);
  }, 90_000);

  test("the example client against grpc-go's server prints what each call showed", async () => {
    const dir = scratchDir();
    const sock = join(dir.path, "go");
    const go = spawn(GO, ["serve", sock], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await lines(go).waitFor(/READY/);
      const [node, ...args] = nodeTs("examples/grpc/client.ts");
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(node, [...args, "unix", sock], { env, timeout: 60_000 }, (err, so, se) => (err ? reject(new Error(`${err.message}\n${so}\n${se}`)) : resolve(so))),
      );
      expect(stdout.trim().split("\n")).toEqual([
        "hello: bonjour, ts; header x-greeter=go; trailer x-served-by-bin=cafe",
        'empty: INVALID_ARGUMENT "name is empty" detail=field: value',
        "slow with deadline: DEADLINE_EXCEEDED",
        "slow cancelled: CANCELLED",
        "shout: A,B",
      ]);
    } finally {
      go.stdin!.end();
      if (go.exitCode === null) await once(go, "exit");
      dir.remove();
    }
  }, 90_000);
});
