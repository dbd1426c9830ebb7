import type { Channel } from "../../rpc/client.js";
import type { Broker } from "../../broker/broker.js";
import { Client, type ClientConfig } from "../../goplugin/client.js";
import type { HandshakeConfig } from "../../goplugin/handshake.js";
import { textLogger, type Logger } from "../../goplugin/logger.js";
import { envConfigToCmdEnv, type EnvConfig } from "../env-config.js";
import { loopLogger } from "../logger.js";

export interface LoopCommand {
  command: string;
  args?: readonly string[];
  cwd?: string;
}

/** One step of a LOOP host's work, for tracing (`onEvent`). */
export interface LoopEvent {
  /**
   * "serve": a host-side broker id was served; "dial": a plugin id was dialed;
   * "rpc": a factory call; "down": a generation ended (`id` its number);
   * "relaunch": generation `id` is launched after `ms`; "up": generation `id` is fully created.
   */
  kind: "launch" | "serve" | "dial" | "rpc" | "close" | "down" | "relaunch" | "up";
  name: string;
  id?: number;
  detail?: string;
  ms?: number;
}

/** How to start a LOOP plugin process. */
export interface LoopLaunchConfig {
  /** The plugin command (no shell), or a function giving the command for each generation (1, 2, …). */
  cmd: LoopCommand | ((generation: number) => LoopCommand);
  /** The LOOP environment contract; every variable is passed, zero values included. */
  env?: EnvConfig;
  /** Extra variables (a plugin's `.env`), placed before the LOOP ones like core does. */
  extraEnv?: Record<string, string>;
  /** Pass the host's own environment too (Go LOOP hosts do not). */
  inheritEnv?: boolean;
  logger?: Logger;
  startTimeoutMs?: number;
  onEvent?: (e: LoopEvent) => void;
  /** go-plugin Client options to override. */
  clientOptions?: Partial<ClientConfig>;
}

/** A launched LOOP plugin: its go-plugin client, main channel and broker. */
export interface LoopConnection {
  client: Client;
  channel: Channel;
  broker: Broker;
}

/** Launches a LOOP plugin with go-plugin's gRPC protocol and the LOOP handshake. */
export function loopClient(kind: string, handshake: HandshakeConfig, c: LoopLaunchConfig): Client {
  return launchClient(kind, handshake, c, 1);
}

/** The go-plugin Client for one generation of a LOOP plugin (a new process each call). */
export function launchClient(kind: string, handshake: HandshakeConfig, c: LoopLaunchConfig, generation: number): Client {
  const env = Object.fromEntries([...Object.entries(c.extraEnv ?? {}), ...envConfigToCmdEnv(c.env ?? {})]);
  const cmd = typeof c.cmd === "function" ? c.cmd(generation) : c.cmd;
  return new Client({
    handshakeConfig: handshake,
    plugins: { [kind]: { grpcClient: (ctx) => ctx } },
    cmd: { ...cmd, env },
    skipHostEnv: !c.inheritEnv,
    allowedProtocols: ["grpc"],
    managed: true,
    startTimeoutMs: c.startTimeoutMs,
    logger: loopLogger(c.logger ?? textLogger()),
    stdin: "ignore",
    ...c.clientOptions,
  });
}

/** Times `f` and reports it as one event. */
export async function traced<T>(onEvent: LoopLaunchConfig["onEvent"], e: Omit<LoopEvent, "ms">, f: () => Promise<T>, detail?: (v: T) => Partial<LoopEvent>): Promise<T> {
  const t0 = performance.now();
  const v = await f();
  onEvent?.({ ...e, ms: performance.now() - t0, ...detail?.(v) });
  return v;
}
