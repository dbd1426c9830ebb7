/**
 * Where CL_TRACING_COLLECTOR_TARGET points, read the way grpc-go reads the
 * target chainlink-common dials (grpc.DialContext with a tcp dialer):
 * `dns:///host:port` and `passthrough:///host:port` name a tcp address
 * (an authority between the slashes is ignored), `unix:path` and
 * `unix:///path` a socket; any other target is passed through whole, as
 * grpc-go does for a scheme it has no resolver for, and then fails to dial
 * (Go's `Failed to dial` log), as `http://host:4317` does under Go.
 */
import type { NetAddr } from "../../rpc/net-addr.js";

export function collectorAddr(target: string): NetAddr {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(target);
  const scheme = m?.[1]?.toLowerCase();
  const rest = m?.[2] ?? "";
  if (scheme === "dns" || scheme === "passthrough") {
    const endpoint = rest.startsWith("//") ? rest.slice(rest.indexOf("/", 2) + 1 || rest.length) : rest;
    return { network: "tcp", address: endpoint };
  }
  if (scheme === "unix") return { network: "unix", address: rest.startsWith("//") ? rest.slice(2) : rest };
  return { network: "tcp", address: target };
}
