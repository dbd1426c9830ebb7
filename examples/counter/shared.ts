// What the counter host and plugin agree on, wire-compatible with go-plugin's
// examples/bidirectional. Put carries a callback: the host serves AddHelper on
// a broker id, and the plugin dials that id to do the addition.
import {
  createClient,
  service,
  type Broker,
  type GRPCPlugin,
  type HandshakeConfig,
  type PluginSet,
  type ServiceRegistration,
} from "../../src/index.js";
import { AddHelper as AddHelperService, Counter as CounterService } from "./gen/proto/counter_pb.js";

export const handshake: HandshakeConfig = {
  protocolVersion: 1,
  magicCookieKey: "BASIC_PLUGIN",
  magicCookieValue: "hello",
};

/** Implemented by the host, called by the plugin through the broker. */
export interface AddHelper {
  sum(a: bigint, b: bigint): Promise<bigint>;
}

/** What the plugin provides. */
export interface Counter {
  /** Adds `value` to the counter `key`, using `adder` for the arithmetic. */
  put(key: string, value: bigint, adder: AddHelper): Promise<void>;
  get(key: string): Promise<bigint>;
}

export const COUNTER = "counter";

/** Plugin side: serves Counter; each Put dials the host's AddHelper. */
export function counterServices(impl: Counter, broker: Broker, onSum?: (info: SumTrace) => void): ServiceRegistration[] {
  return [
    service(CounterService, {
      get: async (req) => ({ value: await impl.get(req.key) }),
      put: async (req) => {
        const conn = await broker.dial(req.addServer);
        try {
          const helper = createClient(AddHelperService, conn);
          const adder: AddHelper = {
            sum: async (a, b) => {
              const { r } = await helper.sum({ a, b });
              onSum?.({ brokerId: req.addServer, a, b, r });
              return r;
            },
          };
          await impl.put(req.key, req.value, adder);
        } finally {
          conn.close();
        }
        return {};
      },
    }),
  ];
}

export interface SumTrace {
  brokerId: number;
  a: bigint;
  b: bigint;
  r: bigint;
}

/** Host side: a Counter whose Put serves `adder` on a fresh broker id for the call. */
export const counterGrpcClient: GRPCPlugin<Counter>["grpcClient"] = ({ broker, channel }) => {
  const rpc = createClient(CounterService, channel);
  return {
    get: async (key) => (await rpc.get({ key })).value,
    put: async (key, value, adder) => {
      const id = broker.nextId();
      const listener = await broker.acceptAndServe(id, [
        service(AddHelperService, { sum: async (req) => ({ r: await adder.sum(req.a, req.b) }) }),
      ]);
      try {
        await rpc.put({ addServer: id, key, value });
      } finally {
        listener.close();
      }
    },
  };
};

export const hostPlugins: PluginSet = { [COUNTER]: { grpcClient: counterGrpcClient } };
