import { Registry } from "prom-client";
import { observedMethod } from "../rpc/observe.js";
import { Code } from "../rpc/status.js";
import { goCodeName, GrpcClientMetrics, GrpcServerMetrics } from "./grpc-metrics.js";

const samples = async (r: Registry) => (await r.metrics()).split("\n").filter((l) => l.startsWith("grpc_server_") && !l.includes("_bucket") && !l.includes("_sum"));

test("status codes are labelled with grpc-go's names", () => {
  expect([Code.OK, Code.CANCELLED, Code.INVALID_ARGUMENT, Code.UNAVAILABLE, Code.UNAUTHENTICATED].map(goCodeName)).toEqual([
    "OK",
    "Canceled",
    "InvalidArgument",
    "Unavailable",
    "Unauthenticated",
  ]);
  expect(goCodeName(99 as Code)).toBe("Code(99)");
});

test("no series before a method's first call; then each counter moves as go-grpc-middleware's", async () => {
  const r = new Registry();
  const m = new GrpcServerMetrics(r);
  expect(await samples(r)).toEqual([]);

  const unary = observedMethod("/pkg.Svc/Get", "unary");
  const ok = m.onCall(unary);
  ok.onReceive?.({});
  ok.onSend?.({});
  ok.onEnd?.({ code: Code.OK, details: "" });
  // A failed unary call still counts its response as sent, as Go's unary interceptor does.
  const failed = m.onCall(unary);
  failed.onReceive?.({});
  failed.onEnd?.({ code: Code.NOT_FOUND, details: "no" });

  // A client stream: each request the handler reads, plus the read that finds the end.
  const upload = m.onCall(observedMethod("/pkg.Svc/Upload", "client_stream"));
  upload.onReceive?.({});
  upload.onReceive?.({});
  upload.onReceiveEnd?.();
  upload.onSend?.({});
  upload.onEnd?.({ code: Code.OK, details: "" });

  // A call in flight has started but has neither a handled count nor a handling time yet.
  const watch = m.onCall(observedMethod("/pkg.Svc/Watch", "server_stream"));
  watch.onReceive?.({});
  watch.onSend?.({});

  const L = (method: string, type: string) => `grpc_method="${method}",grpc_service="pkg.Svc",grpc_type="${type}"`;
  expect((await samples(r)).sort()).toEqual(
    [
      `grpc_server_started_total{${L("Get", "unary")}} 2`,
      `grpc_server_started_total{${L("Upload", "client_stream")}} 1`,
      `grpc_server_started_total{${L("Watch", "server_stream")}} 1`,
      `grpc_server_handled_total{${L("Get", "unary")},grpc_code="OK"} 1`,
      `grpc_server_handled_total{${L("Get", "unary")},grpc_code="NotFound"} 1`,
      `grpc_server_handled_total{${L("Upload", "client_stream")},grpc_code="OK"} 1`,
      `grpc_server_msg_received_total{${L("Get", "unary")}} 2`,
      `grpc_server_msg_received_total{${L("Upload", "client_stream")}} 3`,
      `grpc_server_msg_received_total{${L("Watch", "server_stream")}} 1`,
      `grpc_server_msg_sent_total{${L("Get", "unary")}} 2`,
      `grpc_server_msg_sent_total{${L("Upload", "client_stream")}} 1`,
      `grpc_server_msg_sent_total{${L("Watch", "server_stream")}} 1`,
      `grpc_server_handling_seconds_count{${L("Get", "unary")}} 2`,
      `grpc_server_handling_seconds_count{${L("Upload", "client_stream")}} 1`,
    ].sort(),
  );
  const buckets = (await r.metrics()).split("\n").filter((l) => l.startsWith("grpc_server_handling_seconds_bucket{") && l.includes(L("Upload", "client_stream")));
  expect(buckets.map((l) => /le="([^"]+)"/.exec(l)![1])).toEqual(["0.001", "0.01", "0.1", "0.3", "0.6", "1", "3", "6", "9", "20", "30", "60", "90", "120", "+Inf"]);
});

test("client metrics move as go-grpc-middleware's client interceptors count", async () => {
  const r = new Registry();
  const m = new GrpcClientMetrics(r);
  const unary = observedMethod("/pkg.Svc/Get", "unary");
  // A unary call counts one message sent and one received, even when it fails.
  const failed = m.onCall(unary);
  failed.onSend?.({});
  failed.onEnd?.({ code: Code.UNAVAILABLE, details: "down" });
  // A response stream read to its end: each response, the read that ends it, then handled.
  const read = m.onCall(observedMethod("/pkg.Svc/Watch", "server_stream"));
  read.onSend?.({});
  read.onReceive?.({});
  read.onReceiveEnd?.();
  read.onEnd?.({ code: Code.OK, details: "" });
  // Abandoned after one response: never counted handled, as Go's reporter never sees its end.
  const abandoned = m.onCall(observedMethod("/pkg.Svc/Watch", "server_stream"));
  abandoned.onSend?.({});
  abandoned.onReceive?.({});
  abandoned.onEnd?.({ code: Code.CANCELLED, details: "context canceled" });
  // A client stream: each request sent, one receive for its single answer.
  const upload = m.onCall(observedMethod("/pkg.Svc/Upload", "client_stream"));
  upload.onSend?.({});
  upload.onSend?.({});
  upload.onEnd?.({ code: Code.OK, details: "" });

  const L = (method: string, type: string) => `grpc_method="${method}",grpc_service="pkg.Svc",grpc_type="${type}"`;
  const lines = (await r.metrics()).split("\n").filter((l) => l.startsWith("grpc_client_") && !l.includes("_bucket") && !l.includes("_sum"));
  expect(lines.sort()).toEqual(
    [
      `grpc_client_started_total{${L("Get", "unary")}} 1`,
      `grpc_client_started_total{${L("Watch", "server_stream")}} 2`,
      `grpc_client_started_total{${L("Upload", "client_stream")}} 1`,
      `grpc_client_handled_total{${L("Get", "unary")},grpc_code="Unavailable"} 1`,
      `grpc_client_handled_total{${L("Watch", "server_stream")},grpc_code="OK"} 1`,
      `grpc_client_handled_total{${L("Upload", "client_stream")},grpc_code="OK"} 1`,
      `grpc_client_msg_sent_total{${L("Get", "unary")}} 1`,
      `grpc_client_msg_sent_total{${L("Watch", "server_stream")}} 2`,
      `grpc_client_msg_sent_total{${L("Upload", "client_stream")}} 2`,
      `grpc_client_msg_received_total{${L("Get", "unary")}} 1`,
      `grpc_client_msg_received_total{${L("Watch", "server_stream")}} 3`,
      `grpc_client_msg_received_total{${L("Upload", "client_stream")}} 1`,
      `grpc_client_handling_seconds_count{${L("Get", "unary")}} 1`,
      `grpc_client_handling_seconds_count{${L("Watch", "server_stream")}} 1`,
      `grpc_client_handling_seconds_count{${L("Upload", "client_stream")}} 1`,
    ].sort(),
  );
});
