import type { Broker } from "../../broker/broker.js";
import type { Channel } from "../../rpc/client.js";
import type { Client } from "../../goplugin/client.js";
import { Code, RpcError } from "../../rpc/status.js";
import { Generation } from "./generation.js";

test("a resource made after its generation was released is closed at once, and the maker gets UNAVAILABLE", async () => {
  let killed = 0;
  const client = { kill: async () => void killed++ } as unknown as Client;
  const gen = new Generation(3, client, {} as Channel, {} as Broker);
  const early = { closed: 0, close() { this.closed++; } };
  gen.own(early);
  await gen.release("plugin exited");
  expect([early.closed, killed]).toEqual([1, 1]);
  const late = { closed: 0, close() { this.closed++; } };
  let err: unknown;
  try {
    gen.own(late);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RpcError);
  expect(err).toMatchObject({ code: Code.UNAVAILABLE, details: "generation 3 already released" });
  expect(late.closed).toBe(1);
});
