import type { CallObserver } from "./observe.js";

/**
 * The options users set on channels and servers, the same on either engine;
 * each engine maps them to its own settings.
 */

/** PEM material for mutual TLS on either engine. */
export interface TlsPem {
  /** Certificates trusted for the peer; both directions require and verify a peer certificate. */
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /** Name checked in the server's certificate when dialing; default `localhost`. */
  serverName?: string;
}

/** Client keepalive PINGs, sent only while calls are active. */
export interface KeepaliveOptions {
  /** Time after which a PING is sent, ms; 0 or less turns keepalive off. Default 310 000. */
  timeMs?: number;
  /** Time to wait for the PING's answer before the connection counts as dead, ms. Default 20 000. */
  timeoutMs?: number;
}

/** Options of a client channel. */
export interface ChannelOptions {
  /** Largest message sent, bytes; default MaxInt32 (go-plugin's dial). */
  maxSendMessageLength?: number;
  /** Largest message accepted, bytes; default MaxInt32 (go-plugin's dial). */
  maxReceiveMessageLength?: number;
  /**
   * Default: a PING after 310 s, 20 s for its answer, which a grpc-go server with its default
   * enforcement policy (PINGs no closer than 5 min) accepts.
   */
  keepalive?: KeepaliveOptions;
  /**
   * Observers of every call made through `createClient` on the channel (metrics, tracing): each
   * sees the method, each request sent, each response as the application reads it, and the status
   * the application gets, in the order given. Raw relays (`registerProxy`) are not observed.
   */
  callObservers?: readonly CallObserver[];
}

/** Options of a server. */
export interface ServerOptions {
  /** Largest request message accepted, bytes; default 4 MiB (grpc-go's server default). */
  maxReceiveMessageLength?: number;
  /** Largest response message sent, bytes; default MaxInt32. */
  maxSendMessageLength?: number;
  /**
   * Observers of every call the server handles (metrics, tracing): each sees
   * the method, each message received and sent, and the final status, in the
   * order given. Like grpc-go's chained interceptors, but they observe only.
   */
  callObservers?: readonly CallObserver[];
}

/** The default keepalive (see ChannelOptions.keepalive). */
export const DEFAULT_KEEPALIVE = { timeMs: 310_000, timeoutMs: 20_000 } as const;

/** The keepalive in force for `o`, or undefined when it is off. */
export function keepaliveOf(o: KeepaliveOptions | undefined): { timeMs: number; timeoutMs: number } | undefined {
  const timeMs = o?.timeMs ?? DEFAULT_KEEPALIVE.timeMs;
  return timeMs > 0 ? { timeMs, timeoutMs: o?.timeoutMs ?? DEFAULT_KEEPALIVE.timeoutMs } : undefined;
}
