import type { Channel } from "../rpc/client.js";
import type { Broker } from "../broker/broker.js";
import type { ServiceRegistration } from "../rpc/server.js";

/**
 * One named plugin, the TypeScript form of go-plugin's GRPCPlugin: the plugin
 * side lists the services it serves, the host side wraps the connection in a
 * client object. Names are local to each side; they never cross the wire.
 */
export interface GRPCPlugin<T = unknown> {
  grpcServer?(ctx: { broker: Broker }): Iterable<ServiceRegistration> | Promise<Iterable<ServiceRegistration>>;
  grpcClient?(ctx: { broker: Broker; channel: Channel }): T;
}

export type PluginSet = Record<string, GRPCPlugin>;

/** Plugin sets by app protocol version, with `plugins` filed under `protocolVersion`. */
export function versionedSets(
  protocolVersion: number,
  plugins: PluginSet | undefined,
  versioned: Record<number, PluginSet> | undefined,
  overwrite: boolean,
): Map<number, PluginSet> {
  const sets = new Map<number, PluginSet>();
  for (const [k, v] of Object.entries(versioned ?? {})) sets.set(Number(k), v);
  if (plugins && (overwrite || !sets.has(protocolVersion))) sets.set(protocolVersion, plugins);
  return sets;
}
