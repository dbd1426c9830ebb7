/** Environment variables go-plugin hosts set for their plugins. */
export const ENV = {
  minPort: "PLUGIN_MIN_PORT",
  maxPort: "PLUGIN_MAX_PORT",
  protocolVersions: "PLUGIN_PROTOCOL_VERSIONS",
  multiplexGRPC: "PLUGIN_MULTIPLEX_GRPC",
  clientCert: "PLUGIN_CLIENT_CERT",
  unixSocketDir: "PLUGIN_UNIX_SOCKET_DIR",
  unixSocketGroup: "PLUGIN_UNIX_SOCKET_GROUP",
} as const;

/**
 * Versions a host offered, parsed like go-plugin: bad items are reported on
 * stderr (without a newline, as Go does) and skipped.
 */
export function parseProtocolVersions(value: string | undefined, warn: (msg: string) => void): number[] {
  if (!value) return [];
  const out: number[] = [];
  for (const item of value.split(",")) {
    if (/^[+-]?\d+$/.test(item)) out.push(Number(item));
    else warn(`server sent invalid plugin version ${JSON.stringify(item)}`);
  }
  return out;
}

/** PLUGIN_MIN_PORT/PLUGIN_MAX_PORT as the plugin reads them; unset means 0. */
export function parsePortRange(env: NodeJS.ProcessEnv): { min: number; max: number } {
  const read = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "") return 0;
    if (!/^[+-]?\d+$/.test(v)) throw new Error(`couldn't get value from ${name}: invalid syntax ${JSON.stringify(v)}`);
    return Number(v);
  };
  const min = read(ENV.minPort);
  const max = read(ENV.maxPort);
  if (min > max) throw new Error(`${ENV.minPort} value of ${min} is greater than ${ENV.maxPort} value of ${max}`);
  return { min, max };
}
