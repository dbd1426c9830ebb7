import { Broker, BrokerError } from "./broker.js";

describe("Broker", () => {
  test("a dial waiting for its ConnInfo when the peer goes fails naming why, not only that the broker closed", async () => {
    const broker = new Broker();
    const dial = broker.dial(5, { timeoutMs: 10_000 });
    await new Promise((r) => setImmediate(r));
    broker.peerGone("plugin relayer (pid 42) exited: killed by SIGKILL");
    const err = await dial.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: "CLOSED", id: 5, message: "broker closed while dialing id 5: plugin relayer (pid 42) exited: killed by SIGKILL" });
  });
});
