/** A listener address as go-plugin announces it: network plus address. */
export interface NetAddr {
  network: "unix" | "tcp";
  address: string;
}

/** gRPC's message-size limits are int32s: this is "no limit" on every engine. */
export const MAX_INT32 = 2147483647;

/**
 * `host:port` split as Go's net.SplitHostPort reads it for our needs: at the last colon, an IPv6
 * host's brackets removed; the port only when it is all digits. Without a colon the whole text is
 * the host (a socket path, say).
 */
export function splitHostPort(address: string): { host: string; port?: number } {
  const i = address.lastIndexOf(":");
  if (i < 0) return { host: address };
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const port = address.slice(i + 1);
  return /^\d+$/.test(port) ? { host, port: Number(port) } : { host };
}

/** Where to connect for a tcp address; an empty host is the loopback, as go-plugin's `:port` addresses mean. */
export function tcpConnectOptions(address: string): { host: string; port: number } {
  const { host, port } = splitHostPort(address);
  return { host: host || "127.0.0.1", port: port ?? Number.NaN };
}
