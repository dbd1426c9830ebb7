import * as grpc from "@grpc/grpc-js";
import { randomInt } from "node:crypto";
import { createServer, type Server as NetServer } from "node:net";
import { chmodSync, chownSync, existsSync, readFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackingInterceptor } from "./channel-close.js";
import type { Channel } from "./client.js";
import { defaultEngine, type EngineName, type TlsPem } from "./engine.js";
import { H2Channel } from "./h2-channel.js";
import type { KeepaliveSettings } from "./h2-keepalive.js";
import { H2Server } from "./h2-server.js";
import type { Server } from "./server.js";
import { MAX_INT32, type NetAddr } from "./net-addr.js";

/** Largest usable unix socket path on Linux (sun_path is 108 bytes with its NUL). */
export const MAX_UNIX_PATH = process.platform === "darwin" ? 103 : 107;

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: "SOCKET_PATH_TOO_LONG" | "BIND_FAILED" | "UNKNOWN_ADDRESS_TYPE" | "BAD_SOCKET_GROUP",
    message: string,
  ) {
    super(message);
  }
}

export function grpcTarget(addr: NetAddr): string {
  if (addr.network === "unix") return `unix://${addr.address}`;
  if (addr.network === "tcp") return addr.address.startsWith(":") ? `127.0.0.1${addr.address}` : addr.address;
  throw new TransportError("UNKNOWN_ADDRESS_TYPE", `unknown address type: ${(addr as NetAddr).address}`);
}

export interface DialOptions {
  /** The engine; default `defaultEngine()`. */
  engine?: EngineName;
  /** h2 engine: mutual TLS material. */
  tls?: TlsPem;
  /** grpc-js engine: its channel credentials. */
  credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options; they win over the defaults. The h2 engine honours their keepalive keys. */
  channelOptions?: grpc.ChannelOptions;
}

/**
 * Keepalive that a grpc-go server with its default enforcement policy
 * (pings no closer than 5 minutes while streams are open) accepts: a ping
 * after 5 min 10 s of silence, 20 s for the answer (grpc-go's client default),
 * only while calls are active. It settles a connection whose peer vanished
 * without a FIN; a plugin's exit is noticed by the client at once anyway.
 */
export const KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 310_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.keepalive_permit_without_calls": 0,
};

/**
 * The h2 engine's keepalive: `KEEPALIVE_OPTIONS`, with the grpc-js keys of
 * `channelOptions` honoured so one setting serves both engines; a time of 0
 * or less turns keepalive off, as in grpc-js.
 */
export function keepaliveSettings(extra: grpc.ChannelOptions | undefined): KeepaliveSettings | undefined {
  const o = { ...KEEPALIVE_OPTIONS, ...extra };
  const timeMs = o["grpc.keepalive_time_ms"] as number;
  return timeMs > 0 ? { timeMs, timeoutMs: o["grpc.keepalive_timeout_ms"] as number } : undefined;
}

/**
 * A non-blocking channel to a plugin-style address with go-plugin's client
 * defaults (send and receive limits of MaxInt32) plus `KEEPALIVE_OPTIONS`.
 * Its calls can all be ended at once with `failChannel`.
 */
export function dialChannel(addr: NetAddr, opts: DialOptions = {}): Channel {
  if ((opts.engine ?? defaultEngine()) === "h2") {
    grpcTarget(addr);
    return new H2Channel(addr, {
      tls: opts.tls,
      maxReceiveMessageLength: MAX_INT32,
      maxSendMessageLength: MAX_INT32,
      keepalive: keepaliveSettings(opts.channelOptions),
    });
  }
  const tracking = trackingInterceptor();
  const extra = opts.channelOptions as grpc.ClientOptions | undefined;
  const options: grpc.ClientOptions = {
    "grpc.max_send_message_length": MAX_INT32,
    "grpc.max_receive_message_length": MAX_INT32,
    ...KEEPALIVE_OPTIONS,
    ...(opts.credentials && !isInsecure(opts.credentials) ? { "grpc.ssl_target_name_override": "localhost" } : {}),
    ...extra,
    interceptors: [tracking.interceptor, ...(extra?.interceptors ?? [])],
  };
  const channel = new grpc.Client(grpcTarget(addr), opts.credentials ?? grpc.credentials.createInsecure(), options);
  tracking.register(channel);
  return channel;
}

function isInsecure(c: grpc.ChannelCredentials): boolean {
  return !c._isSecure();
}

export interface ListenOptions {
  /** "unix" everywhere but Windows, like go-plugin. */
  network?: "unix" | "tcp";
  /** Directory for the socket (go-plugin: PLUGIN_UNIX_SOCKET_DIR, else the temp dir). */
  socketDir?: string;
  /** Group name or numeric gid; the socket becomes 0660 owned by it. */
  socketGroup?: string;
  /** Inclusive tcp port range; 0..0 lets the OS choose. */
  minPort?: number;
  maxPort?: number;
  credentials?: grpc.ServerCredentials;
}

/** A bound listener; `release()` removes its socket file. */
export interface BoundListener {
  addr: NetAddr;
  release(): void;
}

/** A fresh socket path named like go-plugin's: `plugin` and random digits. */
export function newSocketPath(dir: string = tmpdir()): string {
  for (;;) {
    const path = join(dir, `plugin${randomInt(0, 2 ** 32 - 1)}`);
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
      throw new TransportError(
        "SOCKET_PATH_TOO_LONG",
        `unix socket path ${path} is ${Buffer.byteLength(path)} bytes, over the limit of ${MAX_UNIX_PATH}; ` +
          `set PLUGIN_UNIX_SOCKET_DIR (or TMPDIR) to a shorter directory`,
      );
    }
    if (!existsSync(path)) return path;
  }
}

/** Binds `server` on a new unix socket or on the first free tcp port in range. */
export async function bindServer(server: Server, opts: ListenOptions = {}): Promise<BoundListener> {
  const creds = opts.credentials;
  const network = opts.network ?? (process.platform === "win32" ? "tcp" : "unix");
  if (network === "unix") {
    const path = newSocketPath(opts.socketDir || tmpdir());
    try {
      await bindAsync(server, `unix://${path}`, creds);
    } catch (err) {
      throw new TransportError("BIND_FAILED", `couldn't bind unix socket ${path}: ${(err as Error).message}`);
    }
    const release = () => {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    };
    // Owner only (0600), or owner and group (0660), whatever the umask made of it:
    // connecting needs write permission on the socket file.
    try {
      if (opts.socketGroup) chownSync(path, -1, resolveGroup(opts.socketGroup));
      chmodSync(path, opts.socketGroup ? 0o660 : 0o600);
    } catch (err) {
      server.forceShutdown();
      release();
      throw err;
    }
    return { addr: { network: "unix", address: path }, release };
  }
  const min = opts.minPort ?? 0;
  const max = opts.maxPort ?? 0;
  for (let port = min; port <= max; port++) {
    try {
      const bound = await bindAsync(server, `127.0.0.1:${port}`, creds);
      return { addr: { network: "tcp", address: `127.0.0.1:${bound}` }, release: () => {} };
    } catch {
      // try the next port
    }
  }
  throw new TransportError("BIND_FAILED", `couldn't bind plugin TCP listener in ports ${min}..${max}`);
}

/**
 * A plain listener bound like `bindServer` (same socket naming, group and
 * port range), for carriers that run their own framing under gRPC (mux).
 */
export async function bindNet(opts: Omit<ListenOptions, "credentials"> = {}): Promise<BoundListener & { server: NetServer }> {
  const network = opts.network ?? (process.platform === "win32" ? "tcp" : "unix");
  const server = createServer();
  const listen = (target: string | { host: string; port: number }) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(target as never, () => {
        server.off("error", reject);
        resolve();
      });
    });
  if (network === "unix") {
    const path = newSocketPath(opts.socketDir || tmpdir());
    try {
      await listen(path);
    } catch (err) {
      throw new TransportError("BIND_FAILED", `couldn't bind unix socket ${path}: ${(err as Error).message}`);
    }
    const release = () => {
      server.close();
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    };
    if (opts.socketGroup) {
      try {
        chownSync(path, -1, resolveGroup(opts.socketGroup));
        chmodSync(path, 0o660);
      } catch (err) {
        release();
        throw err;
      }
    }
    return { server, addr: { network: "unix", address: path }, release };
  }
  const min = opts.minPort ?? 0;
  const max = opts.maxPort ?? 0;
  for (let port = min; port <= max; port++) {
    try {
      await listen({ host: "127.0.0.1", port });
      const bound = (server.address() as { port: number }).port;
      return { server, addr: { network: "tcp", address: `127.0.0.1:${bound}` }, release: () => server.close() };
    } catch {
      // try the next port
    }
  }
  throw new TransportError("BIND_FAILED", `couldn't bind plugin TCP listener in ports ${min}..${max}`);
}

function bindAsync(server: Server, target: string, creds: grpc.ServerCredentials | undefined): Promise<number> {
  if (server instanceof H2Server) {
    const i = target.lastIndexOf(":");
    const listen = target.startsWith("unix://")
      ? server.listen({ path: target.slice("unix://".length) })
      : server.listen({ host: target.slice(0, i), port: Number(target.slice(i + 1)) });
    return listen.then((port) => port ?? 0);
  }
  return new Promise((resolve, reject) =>
    server.bindAsync(target, creds ?? grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** A group name from /etc/group, or a numeric gid. */
export function resolveGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync("/etc/group", "utf8")
    .split("\n")
    .find((l) => l.split(":")[0] === group);
  if (!line) throw new TransportError("BAD_SOCKET_GROUP", `unknown socket group ${JSON.stringify(group)}`);
  return Number(line.split(":")[2]);
}
