/**
 * A server span per gRPC call, as the otelgrpc stats handler (v0.63.0) that
 * chainlink-common puts on a Go LOOP plugin's servers makes them: named
 * `package.Service/Method`, kind SERVER, the caller's W3C trace context as
 * parent, attributes rpc.service, rpc.method, rpc.system, then
 * server.address (and server.port) once response headers go out, then
 * rpc.grpc.status_code; status ERROR with the message for the codes a server
 * owns (Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable,
 * DataLoss), else unset.
 */
import type { CallObserver, CallReporter, ObservedCall, ObservedMethod } from "../../rpc/observe.js";
import { Code } from "../../rpc/status.js";
import { epochNanos } from "../../goplugin/clock.js";
import { newSpanId, newTraceId, parseTraceparent, type SpanContext } from "./trace-context.js";

export type AttributeValue = string | boolean | bigint;

export interface FinishedSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  traceState: string;
  name: string;
  startNanos: bigint;
  endNanos: bigint;
  /** In the order set, as OpenTelemetry-Go keeps a span's attributes. */
  attributes: Array<[string, AttributeValue]>;
  /** 0 unset, 2 error (OTLP's StatusCode). */
  statusCode: 0 | 2;
  statusMessage: string;
}

const SERVER_ERRORS = new Set([Code.UNKNOWN, Code.DEADLINE_EXCEEDED, Code.UNIMPLEMENTED, Code.INTERNAL, Code.UNAVAILABLE, Code.DATA_LOSS]);

export class ServerSpans implements CallObserver {
  constructor(
    private readonly sample: (parent: SpanContext | undefined, traceId: Uint8Array) => boolean,
    private readonly finished: (span: FinishedSpan) => void,
  ) {}

  onCall(method: ObservedMethod, call: ObservedCall): CallReporter | undefined {
    const text = (k: string) => {
      const v = call.metadata.get(k);
      return typeof v === "string" ? v : undefined;
    };
    const parent = parseTraceparent(text("traceparent"), text("tracestate"));
    const traceId = parent?.traceId ?? newTraceId();
    if (!this.sample(parent, traceId)) return undefined;
    const span: FinishedSpan = {
      traceId,
      spanId: newSpanId(),
      parentSpanId: parent?.spanId,
      traceState: parent?.traceState ?? "",
      name: method.path.slice(1),
      startNanos: epochNanos(),
      endNanos: 0n,
      attributes: [
        ["rpc.service", method.service],
        ["rpc.method", method.method],
        ["rpc.system", "grpc"],
      ],
      statusCode: 0,
      statusMessage: "",
    };
    let ended = false;
    return {
      onHeader: () => {
        if (!ended) span.attributes.push(...serverAddress(call.peer));
      },
      onEnd: (status) => {
        if (ended) return;
        ended = true;
        span.attributes.push(["rpc.grpc.status_code", BigInt(status.code)]);
        if (SERVER_ERRORS.has(status.code)) {
          span.statusCode = 2;
          span.statusMessage = status.details;
        }
        span.endNanos = epochNanos();
        this.finished(span);
      },
    };
  }
}

/** otelgrpc's server.address / server.port from the peer (Go names an unnamed unix peer "@"). */
function serverAddress(peer: string): Array<[string, AttributeValue]> {
  if (peer === "unix") return [["server.address", "@"]];
  const colon = peer.lastIndexOf(":");
  const port = Number(peer.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return [["server.address", peer]];
  return [
    ["server.address", peer.slice(0, colon).replace(/^\[(.*)\]$/, "$1")],
    ["server.port", BigInt(port)],
  ];
}
