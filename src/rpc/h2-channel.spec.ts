import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
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

test("a call that ends while the caller still streams requests lets go of the caller's request iterator", async () => {
  const server = http2.createServer();
  server.on("stream", (s) => s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "3", "grpc-message": "no" }, { endStream: true }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const channel = new H2Channel({ network: "tcp", address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
  let released = false;
  // Endless as far as the call can tell; bounded (≈ 6 s) so a regression fails instead of keeping jest alive.
  async function* endless() {
    try {
      for (let i = 0; i < 3000; i++) {
        yield { serviceId: i, network: "unix", address: "/x" };
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      released = true;
    }
  }
  try {
    const err = await (async () => {
      try {
        for await (const _ of createClient(GRPCBroker, channel).startStream(endless())) {
          // no answers expected
        }
      } catch (e) {
        return e as RpcError;
      }
    })();
    expect(err?.code).toBe(Code.INVALID_ARGUMENT);
    const end = Date.now() + 5000;
    while (!released && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(true);
  } finally {
    channel.close();
    await new Promise((r) => server.close(r));
  }
});
