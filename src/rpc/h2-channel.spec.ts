import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { createClient } from "./client.js";
import { H2Channel } from "./h2-channel.js";
import { Code, RpcError } from "./status.js";

test("calls on a failed channel fail on a later turn of the event loop: a retry loop does not starve timers", async () => {
  const channel = new H2Channel({ network: "unix", address: "/nonexistent/plugin.sock" });
  channel.fail("plugin exited");
  const client = createClient(GRPCController, channel);
  let stop = false;
  setTimeout(() => (stop = true), 20);
  let calls = 0;
  let last: unknown;
  // Bounded, so a starving engine fails here instead of hanging the suite.
  while (!stop && calls < 200_000) {
    last = await client.shutdown({}).catch((e) => e);
    calls++;
  }
  expect(stop).toBe(true);
  expect(calls).toBeGreaterThan(0);
  expect(last).toBeInstanceOf(RpcError);
  expect((last as RpcError).code).toBe(Code.UNAVAILABLE);
  expect((last as RpcError).details).toBe("plugin exited");
});
