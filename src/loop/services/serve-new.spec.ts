import type { Broker } from "../../broker/broker.js";
import { BrokerError } from "../../broker/broker.js";
import { relayerServer, type RelayerImpl } from "./relayer.js";
import { serveNew } from "./serve-new.js";

/** A broker whose every serve fails as a listener that cannot bind does. */
function refusingBroker(): Broker {
  let next = 0;
  return {
    nextId: () => ++next,
    acceptAndServe: async (id: number) => {
      throw new BrokerError("ACCEPT_FAILED", id, `broker: cannot listen for id ${id}`);
    },
  } as unknown as Broker;
}

function closeCounter() {
  const c = { closed: 0, close: () => void c.closed++ };
  return c;
}

describe("serveNew", () => {
  test("a serve that fails closes every dependency once and passes the error on", async () => {
    const a = closeCounter();
    const b = closeCounter();
    await expect(serveNew(refusingBroker(), [], a, b)).rejects.toMatchObject({ code: "ACCEPT_FAILED" });
    expect([a.closed, b.closed]).toEqual([1, 1]);
  });

  test("a dependency whose close throws does not hide the serve's error or stop the others closing", async () => {
    const last = closeCounter();
    const throwing = { close: () => Promise.reject(new Error("close failed")) };
    await expect(serveNew(refusingBroker(), [], throwing, last)).rejects.toMatchObject({ code: "ACCEPT_FAILED" });
    expect(last.closed).toBe(1);
  });

  test("a serve that works closes nothing and returns the id it served", async () => {
    const dep = closeCounter();
    const broker = { nextId: () => 7, acceptAndServe: async () => ({}) } as unknown as Broker;
    expect(await serveNew(broker, [], dep)).toBe(7);
    expect(dep.closed).toBe(0);
  });

  test("Relayer.NewContractReader on a broker that cannot serve closes the reader it made, as Go does", async () => {
    const reader = Object.assign(closeCounter(), { ready: () => {}, healthReport: () => ({}) });
    const impl = { newContractReader: async () => reader, close: () => {}, ready: () => {}, healthReport: () => ({}) } as unknown as RelayerImpl;
    const handlers = relayerServer(impl, refusingBroker()).impl as { newContractReader(r: unknown): Promise<unknown> };
    await expect(handlers.newContractReader({ contractReaderConfig: new Uint8Array() })).rejects.toMatchObject({ code: "ACCEPT_FAILED" });
    expect(reader.closed).toBe(1);
  });
});
