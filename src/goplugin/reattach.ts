import { connect } from "node:net";
import { tcpConnectOptions, type NetAddr } from "../rpc/net-addr.js";
import { PluginError } from "./errors.js";
import type { Protocol } from "./handshake.js";
import type { AttachedPlugin, PluginExit } from "./runner.js";

/**
 * go-plugin's ReattachConfig: what a host needs to attach to a plugin that is
 * already running, instead of starting one.
 */
export interface ReattachConfig {
  protocol: Protocol;
  /** Used only when `test` is true (go-plugin v1.4.1+), as the negotiated version. */
  protocolVersion?: number;
  addr: NetAddr;
  pid?: number;
  /**
   * The plugin runs in test/debug mode: `kill()` leaves it running (it ends
   * itself when its serving is cancelled), as go-plugin does.
   */
  test?: boolean;
}

/**
 * go-plugin defines no serialisation for ReattachConfig; Go tooling prints it
 * as this JSON (Terraform's TF_REATTACH_PROVIDERS entries, `Addr` as
 * `{Network, String}`), and the Go interop programs read and write the same.
 */
export function formatReattachConfig(rc: ReattachConfig): string {
  return JSON.stringify({
    Protocol: rc.protocol,
    ProtocolVersion: rc.protocolVersion ?? 0,
    Pid: rc.pid ?? 0,
    Test: rc.test ?? false,
    Addr: { Network: rc.addr.network, String: rc.addr.address },
  });
}

/** Parses that JSON; Go's plain json.Marshal of a net.UnixAddr (`{Name, Net}`) is accepted too. */
export function parseReattachConfig(json: string): ReattachConfig {
  let v: Record<string, any>;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new PluginError("CONFIG", `invalid reattach config: ${(err as Error).message}`);
  }
  const a = v?.Addr ?? {};
  const network = a.Network ?? a.Net;
  const address = a.String ?? a.Name ?? (a.IP !== undefined ? `${a.IP}:${a.Port}` : undefined);
  if ((network !== "unix" && network !== "tcp") || typeof address !== "string") {
    throw new PluginError("CONFIG", `invalid reattach config: Addr must be a unix or tcp address, got ${JSON.stringify(v?.Addr)}`);
  }
  const protocol = v.Protocol || "netrpc"; // empty means net/rpc in go-plugin
  if (protocol !== "grpc" && protocol !== "netrpc") throw new PluginError("CONFIG", `invalid reattach config: unknown protocol ${JSON.stringify(protocol)}`);
  return {
    protocol,
    protocolVersion: Number(v.ProtocolVersion ?? 0),
    addr: { network, address },
    pid: v.Pid ? Number(v.Pid) : undefined,
    test: v.Test === true,
  };
}

/**
 * go-plugin's default ReattachFunc: the address must accept a connection
 * (else "reattachment process not found"); the process is then watched by
 * polling its pid every second, since it is not our child.
 */
export async function attachToProcess(rc: ReattachConfig, pollMs = 1000): Promise<AttachedPlugin> {
  await new Promise<void>((resolve, reject) => {
    const sock =
      rc.addr.network === "unix"
        ? connect(rc.addr.address)
        : connect(tcpConnectOptions(rc.addr.address));
    sock.once("connect", () => {
      sock.destroy();
      resolve();
    });
    sock.once("error", (err) =>
      reject(new PluginError("PROCESS_NOT_FOUND", "reattachment process not found", { cause: err })),
    );
  });
  const pid = rc.pid;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<PluginExit>((resolve) => {
    if (pid === undefined) return; // nothing to watch: it never counts as exited
    timer = setInterval(() => {
      if (alive(pid)) return;
      clearInterval(timer);
      done = true;
      resolve({ code: null, signal: null });
    }, pollMs);
    timer.unref();
  });
  return {
    pid,
    exited,
    killNow() {
      if (done || pid === undefined) return;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
