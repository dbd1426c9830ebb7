import http2 from "node:http2";
import { connect as netConnect, type AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
import { createClient } from "./client.js";
import { duplexChannel } from "./duplex-channel.js";
import { Code, RpcError } from "./status.js";

/**
 * Requests without end as far as a call can tell, one every `everyMs`; `released` turns true once the
 * caller's loop lets go of them. Bounded, so a regression fails its test instead of keeping jest alive.
 */
function endlessRequests(everyMs: number) {
  const state = { sent: 0, released: false };
  async function* gen() {
    try {
      while (state.sent < 3000) {
        yield { serviceId: state.sent++, network: "unix", address: "/x" };
        if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
      }
    } finally {
      state.released = true;
    }
  }
  return { state, reqs: gen() };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

async function firstError(it: AsyncIterable<unknown>): Promise<RpcError> {
  try {
    for await (const _ of it) {
      // no answers expected
    }
  } catch (err) {
    return err as RpcError;
  }
  throw new Error("the stream ended without an error");
}

describe("duplexChannel", () => {
  test("a server that answers at once while the client still writes ends the call with its status; the writer is released", async () => {
    const server = http2.createServer();
    server.on("stream", (s) => s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "3", "grpc-message": "no" }, { endStream: true }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const channel = duplexChannel(async () => netConnect(port, "127.0.0.1"));
    const { state, reqs } = endlessRequests(2);
    try {
      const err = await firstError(createClient(GRPCBroker, channel).startStream(reqs));
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      expect(await until(() => state.released, 5000)).toBe(true);
    } finally {
      channel.close();
      await new Promise((r) => server.close(r));
    }
  });

  test("writes queued before a connection that never comes are released when the call fails", async () => {
    const channel = duplexChannel(() => new Promise((_, reject) => setTimeout(() => reject(new Error("no carrier")), 50)));
    const { state, reqs } = endlessRequests(0);
    try {
      const err = await firstError(createClient(GRPCBroker, channel).startStream(reqs));
      expect(err.code).toBe(Code.UNAVAILABLE);
      expect(err.details).toMatch(/no carrier/);
      // More than grpc-js's 16-message write buffer went in before the failure: the writer waited for a drain.
      expect(state.sent).toBeGreaterThan(16);
      expect(await until(() => state.released, 5000)).toBe(true);
    } finally {
      channel.close();
    }
  });

  test("close() during the TLS handshake destroys the carrier", async () => {
    const carrier = new Duplex({
      read() {},
      write(_chunk, _enc, done) {
        done(); // swallows the ClientHello; no answer ever comes
      },
    });
    let connected!: () => void;
    const connecting = new Promise<void>((r) => (connected = r));
    const channel = duplexChannel(
      async () => {
        connected();
        return carrier;
      },
      { tls: { rejectUnauthorized: false } },
    );
    const call = firstError(createClient(GRPCBroker, channel).startStream(endlessRequests(1).reqs));
    await connecting;
    await new Promise((r) => setImmediate(r));
    channel.close();
    expect((await call).code).toBe(Code.UNAVAILABLE);
    expect(await until(() => carrier.destroyed, 5000)).toBe(true);
  });
});
