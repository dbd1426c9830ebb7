// The bidirectional broker round trip both broker suites (sockets and mux) run against Go and TS plugins.
import { createClient, service, type Broker, type ClientOf } from "../src/index.js";
import { PingPong, Test } from "./gen/grpctest/test_pb.js";
import { Echo } from "./gen/bench/echo_pb.js";

export type Clients = { test: ClientOf<typeof Test>; echo: ClientOf<typeof Echo>; broker: Broker };

export const pong = service(PingPong, { ping: () => ({ msg: "pong" }) });

/** Host serves PingPong on its id; the plugin dials it, then serves its own id; the host dials that. */
export async function roundTrip(c: Clients): Promise<{ hostId: number; pluginId: number }> {
  const hostId = c.broker.nextId();
  const listener = await c.broker.acceptAndServe(hostId, [pong]);
  try {
    const { id: pluginId } = await c.test.bidirectional({ id: hostId });
    const ch = await c.broker.dial(pluginId);
    try {
      expect((await createClient(PingPong, ch).ping({})).msg).toBe("pong");
    } finally {
      ch.close();
    }
    return { hostId, pluginId };
  } finally {
    listener.close();
  }
}
