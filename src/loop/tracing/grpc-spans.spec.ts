import { Metadata } from "../../rpc/metadata.js";
import { observedMethod } from "../../rpc/observe.js";
import { Code } from "../../rpc/status.js";
import { ActiveSpan } from "./active-span.js";
import { ClientSpans, ServerSpans, type FinishedSpan } from "./grpc-spans.js";
import { parseTraceparent } from "./trace-context.js";

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : "");
const parentOf = (sampled: boolean) => ({ sample: (p: { flags: number } | undefined) => (p ? (p.flags & 1) === 1 : sampled) });

function setup(rootSampled: boolean) {
  const done: FinishedSpan[] = [];
  const active = new ActiveSpan();
  const { sample } = parentOf(rootSampled);
  return { done, server: new ServerSpans(sample, (s) => done.push(s), active), client: new ClientSpans(sample, (s) => done.push(s), active) };
}

test("a call made by a handler is a client span under the handler's span, and carries its traceparent", async () => {
  const { done, server, client } = setup(true);
  const incoming = new Metadata({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  const rep = server.onCall(observedMethod("/loop.PluginRelayer/NewRelayer", "unary"), { metadata: incoming, peer: "unix" });
  // The handler's asynchronous work, after the observer saw the call.
  await Promise.resolve();
  const outgoing = new Metadata();
  const crep = client.onCall(observedMethod("/loop.Keystore/Accounts", "unary"), { metadata: outgoing, peer: "/tmp/plugin1" });
  crep!.onEnd!({ code: Code.UNAVAILABLE, details: "gone" });
  rep!.onHeader!();
  rep!.onEnd!({ code: Code.OK, details: "" });
  const [c, s] = done;
  expect(s).toMatchObject({ kind: "server", name: "loop.PluginRelayer/NewRelayer", statusCode: 0 });
  expect(hex(s!.parentSpanId)).toBe("b7ad6b7169203331");
  expect(c).toMatchObject({ kind: "client", name: "loop.Keystore/Accounts", statusCode: 2, statusMessage: "gone" });
  expect(hex(c!.parentSpanId)).toBe(hex(s!.spanId));
  expect(hex(c!.traceId)).toBe("0af7651916cd43dd8448eb211c80319c");
  expect(c!.attributes).toEqual([
    ["rpc.service", "loop.Keystore"],
    ["rpc.method", "Accounts"],
    ["rpc.system", "grpc"],
    ["server.address", "/tmp/plugin1"],
    ["rpc.grpc.status_code", 14n],
  ]);
  // The host sees the client span as its caller.
  const sent = parseTraceparent(outgoing.get("traceparent") as string)!;
  expect([hex(sent.traceId), hex(sent.spanId), sent.flags]).toEqual([hex(c!.traceId), hex(c!.spanId), 1]);
});

test("under an unsampled handler the call is not recorded, but its context still goes out (flags 00)", async () => {
  const { done, server, client } = setup(false);
  expect(server.onCall(observedMethod("/loop.Relayer/GetChainStatus", "unary"), { metadata: new Metadata(), peer: "unix" })).toBeUndefined();
  await Promise.resolve();
  const outgoing = new Metadata();
  expect(client.onCall(observedMethod("/loop.Keystore/Accounts", "unary"), { metadata: outgoing, peer: "" })).toBeUndefined();
  expect(parseTraceparent(outgoing.get("traceparent") as string)!.flags).toBe(0);
  expect(done).toEqual([]);
});

test("a call made outside any handler is a root client span", () => {
  const { done, client } = setup(true);
  const rep = client.onCall(observedMethod("/plugin.GRPCBroker/StartStream", "bidi_stream"), { metadata: new Metadata(), peer: "127.0.0.1:4317" });
  rep!.onEnd!({ code: Code.OK, details: "" });
  expect(done[0]!.parentSpanId).toBeUndefined();
  expect(done[0]!.attributes.slice(3, 5)).toEqual([
    ["server.address", "127.0.0.1"],
    ["server.port", 4317n],
  ]);
});
