// The grpc-go server of interop/cmd/rpcsemantics as a child process, shared by
// the suites that run TS clients against it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { BIN } from "./helpers.js";

export const RPCSEMANTICS = join(BIN, "rpcsemantics");

/** Starts `rpcsemantics serve <sock> [flags]` and resolves once it prints READY. */
export async function startGoServer(sock: string, ...flags: string[]): Promise<ChildProcess> {
  const p = spawn(RPCSEMANTICS, ["serve", sock, ...flags], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  p.stdout!.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (d: string) => {
      out += d;
      if (out.includes("READY")) resolve();
    });
    p.once("exit", (code) => reject(new Error(`rpcsemantics serve exited (${code}) before READY`)));
  });
  return p;
}

/** Closes its stdin (it stops gracefully), SIGKILLs it after 5 s. */
export async function stopGoServer(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = once(p, "exit");
  p.stdin!.end();
  const t = setTimeout(() => p.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}
