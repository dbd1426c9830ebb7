/**
 * A span per gRPC call, as the otelgrpc stats handlers (v0.63.0) that
 * chainlink-common puts on a Go LOOP plugin's servers and on the connections
 * it dials make them: named `package.Service/Method`, attributes
 * rpc.service, rpc.method, rpc.system, then server.address (and
 * server.port), then rpc.grpc.status_code.
 *
 * Server (kind SERVER): the caller's W3C trace context is the parent;
 * server.address comes once response headers go out; status ERROR with the
 * message for the codes a server owns (Unknown, DeadlineExceeded,
 * Unimplemented, Internal, Unavailable, DataLoss), else unset. The span is
 * made current for the handler, sampled or not, so the calls it makes follow.
 *
 * Client (kind CLIENT): the current span (if any) is the parent, the new
 * span's context goes out as `traceparent` / `tracestate` (sampled or not,
 * as Go's propagator injects it); server.address is the dialed address;
 * status ERROR with the message for every code but OK.
 */
import type { CallObserver, CallReporter, ObservedCall, ObservedMethod, ObservedStatus } from "../../rpc/observe.js";
import { Code } from "../../rpc/status.js";
import { epochNanos } from "../../goplugin/clock.js";
import { splitHostPort } from "../../rpc/net-addr.js";
import { FLAG_SAMPLED, formatTraceparent, newSpanId, newTraceId, parseTraceparent, type SpanContext } from "./trace-context.js";
import type { ActiveSpan } from "./active-span.js";

export type AttributeValue = string | boolean | bigint;

export interface FinishedSpan {
  kind: "server" | "client";
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

type Sampler = (parent: SpanContext | undefined, traceId: Uint8Array) => boolean;

export class ServerSpans implements CallObserver {
  constructor(
    private readonly sample: Sampler,
    private readonly finished: (span: FinishedSpan) => void,
    private readonly active?: ActiveSpan,
  ) {}

  onCall(method: ObservedMethod, call: ObservedCall): CallReporter | undefined {
    const text = (k: string) => {
      const v = call.metadata.get(k);
      return typeof v === "string" ? v : undefined;
    };
    const parent = parseTraceparent(text("traceparent"), text("tracestate"));
    const sc = childContext(parent, this.sample);
    this.active?.enter(sc);
    if (!(sc.flags & FLAG_SAMPLED)) return undefined;
    const span = openSpan("server", sc, parent, method, []);
    let ended = false;
    return {
      onHeader: () => {
        if (!ended) span.attributes.push(...serverAddress(call.peer));
      },
      onEnd: (status) => {
        if (ended) return;
        ended = true;
        closeSpan(span, status, SERVER_ERRORS.has(status.code), this.finished);
      },
    };
  }
}

export class ClientSpans implements CallObserver {
  constructor(
    private readonly sample: Sampler,
    private readonly finished: (span: FinishedSpan) => void,
    private readonly active: ActiveSpan,
  ) {}

  onCall(method: ObservedMethod, call: ObservedCall): CallReporter | undefined {
    const parent = this.active.current();
    const sc = childContext(parent, this.sample);
    call.metadata.set("traceparent", formatTraceparent(sc));
    if (sc.traceState) call.metadata.set("tracestate", sc.traceState);
    if (!(sc.flags & FLAG_SAMPLED)) return undefined;
    const span = openSpan("client", sc, parent, method, serverAddress(call.peer));
    let ended = false;
    return {
      onEnd: (status) => {
        if (ended) return;
        ended = true;
        closeSpan(span, status, status.code !== Code.OK, this.finished);
      },
    };
  }
}

/** A new span's context under `parent` (or a new trace), with the sampler's decision in its flags. */
function childContext(parent: SpanContext | undefined, sample: Sampler): SpanContext {
  const traceId = parent?.traceId ?? newTraceId();
  const sampled = sample(parent, traceId);
  return { traceId, spanId: newSpanId(), flags: sampled ? FLAG_SAMPLED : 0, traceState: parent?.traceState ?? "", remote: false };
}

function openSpan(kind: FinishedSpan["kind"], sc: SpanContext, parent: SpanContext | undefined, method: ObservedMethod, more: Array<[string, AttributeValue]>): FinishedSpan {
  return {
    kind,
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: parent?.spanId,
    traceState: sc.traceState,
    name: method.path.slice(1),
    startNanos: epochNanos(),
    endNanos: 0n,
    attributes: [["rpc.service", method.service], ["rpc.method", method.method], ["rpc.system", "grpc"], ...more],
    statusCode: 0,
    statusMessage: "",
  };
}

function closeSpan(span: FinishedSpan, status: ObservedStatus, isError: boolean, finished: (span: FinishedSpan) => void): void {
  span.attributes.push(["rpc.grpc.status_code", BigInt(status.code)]);
  if (isError) {
    span.statusCode = 2;
    span.statusMessage = status.details;
  }
  span.endNanos = epochNanos();
  finished(span);
}

/**
 * otelgrpc's server.address / server.port from the peer: `host:port` split, anything else whole
 * (a client's socket path); a server's unnamed unix peer is "@", as Go names it.
 */
function serverAddress(peer: string): Array<[string, AttributeValue]> {
  if (peer === "unix") return [["server.address", "@"]];
  if (peer === "") return [];
  const { host, port } = splitHostPort(peer);
  return port === undefined ? [["server.address", host]] : [["server.address", host], ["server.port", BigInt(port)]];
}
