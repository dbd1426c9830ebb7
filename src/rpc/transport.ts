import { createServer, type Server as NetServer } from "node:net";
import { chmodSync, chownSync, existsSync, readFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Channel } from "./client.js";
import { defaultEngine, type EngineName } from "./engine.js";
import { observeChannel } from "./client-observe.js";
import { H2Channel } from "./h2-channel.js";
import type { Http2Implementation } from "./h2-implementation.js";
import { createGrpcJsChannel, serverCredentialsOf } from "./grpc-js-engine.js";
import { grpcJsServer } from "./grpc-js-handles.js";
import { keepaliveOf, type ChannelOptions, type TlsPem } from "./options.js";
import { H2Server } from "./h2-server.js";
import type { Server } from "./server.js";
import { MAX_INT32, splitHostPort, type NetAddr } from "./net-addr.js";

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

/** How `dialChannel` connects: the engine, mutual TLS, and the channel options. */
export interface DialOptions extends ChannelOptions {
  /** The engine; default `defaultEngine()`. */
  engine?: EngineName;
  /** Mutual TLS (both engines); plaintext if absent. */
  tls?: TlsPem;
  /** What carries the h2 engine's HTTP/2; default `defaultHttp2()` (the library's own). */
  http2?: Http2Implementation;
}

/**
 * A non-blocking channel to a plugin-style address with go-plugin's client
 * defaults (send and receive limits of MaxInt32) and the default keepalive
 * (see `ChannelOptions`). Its calls can all be ended at once with `failChannel`.
 */
export function dialChannel(addr: NetAddr, opts: DialOptions = {}): Channel {
  const target = grpcTarget(addr);
  if ((opts.engine ?? defaultEngine()) === "h2") {
    const channel = new H2Channel(addr, {
      tls: opts.tls,
      maxReceiveMessageLength: opts.maxReceiveMessageLength ?? MAX_INT32,
      maxSendMessageLength: opts.maxSendMessageLength ?? MAX_INT32,
      keepalive: keepaliveOf(opts.keepalive),
      http2: opts.http2,
    });
    return observeChannel(channel, opts.callObservers, addr.address);
  }
  return observeChannel(createGrpcJsChannel(target, opts), opts.callObservers, addr.address);
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
}

/** A bound listener; `release()` removes its socket file. */
export interface BoundListener {
  addr: NetAddr;
  release(): void;
}

/** A fresh socket path named like go-plugin's: `plugin` and random digits. */
export function newSocketPath(dir: string = tmpdir()): string {
  for (;;) {
    // A uint32 in decimal, as Go's os.CreateTemp names go-plugin's socket. Math.random is
    // enough for a name (bind fails on a taken one) and does not seed OpenSSL's generator at start.
    const path = join(dir, `plugin${Math.floor(Math.random() * 2 ** 32)}`);
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
  const network = opts.network ?? (process.platform === "win32" ? "tcp" : "unix");
  if (network === "unix") {
    const path = newSocketPath(opts.socketDir || tmpdir());
    try {
      await bindAsync(server, `unix://${path}`);
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
      const bound = await bindAsync(server, `127.0.0.1:${port}`);
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
export async function bindNet(opts: ListenOptions = {}): Promise<BoundListener & { server: NetServer }> {
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

function bindAsync(server: Server, target: string): Promise<number> {
  if (server instanceof H2Server) {
    const { host, port } = splitHostPort(target);
    const listen = target.startsWith("unix://")
      ? server.listen({ path: target.slice("unix://".length) })
      : server.listen({ host, port: port ?? Number.NaN });
    return listen.then((port) => port ?? 0);
  }
  const s = grpcJsServer(server);
  return new Promise((resolve, reject) => s.bindAsync(target, serverCredentialsOf(s), (err, port) => (err ? reject(err) : resolve(port))));
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
