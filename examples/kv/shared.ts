// What the KV host and plugin agree on. Wire-compatible with go-plugin's
// examples/grpc: same cookie, same protocol version, same `proto.KV` service.
import {
  createClient,
  service,
  type GRPCPlugin,
  type HandshakeConfig,
  type PluginSet,
  type ServiceRegistration,
} from "../../src/index.js";
import { KV as KVService } from "./gen/kv_pb.js";

export const handshake: HandshakeConfig = {
  protocolVersion: 1,
  magicCookieKey: "BASIC_PLUGIN",
  magicCookieValue: "hello",
};

/** The key/value store a plugin provides and a host uses. */
export interface KV {
  get(key: string): Promise<Uint8Array>;
  put(key: string, value: Uint8Array): Promise<void>;
}

/** Name under which the Go host dispenses the gRPC flavour (KV_PROTO=grpc). */
export const KV_GRPC = "kv_grpc";

/** Plugin-side services for an implementation of KV. */
export function kvServices(impl: KV): ServiceRegistration[] {
  return [
    service(KVService, {
      get: async (req) => ({ value: await impl.get(req.key) }),
      put: async (req) => {
        await impl.put(req.key, req.value);
        return {};
      },
    }),
  ];
}

/** Host-side: turns the plugin connection into a KV. */
export const kvGrpcClient: GRPCPlugin<KV>["grpcClient"] = ({ channel }) => {
  const rpc = createClient(KVService, channel);
  return {
    get: async (key) => (await rpc.get({ key })).value,
    put: async (key, value) => {
      await rpc.put({ key, value });
    },
  };
};

/** The plugin set a host offers. */
export const hostPlugins: PluginSet = { [KV_GRPC]: { grpcClient: kvGrpcClient } };
