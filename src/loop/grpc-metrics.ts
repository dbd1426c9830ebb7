import { Counter, Histogram, type Registry } from "prom-client";
import type { CallObserver, CallReporter, ObservedMethod } from "../rpc/observe.js";
import { Code } from "../rpc/status.js";

/**
 * The gRPC metrics every Go LOOP plugin exposes: chainlink-common's
 * loop.GRPCOpts wraps each server it makes in go-grpc-middleware's
 * providers/prometheus v1.0.1 ServerMetrics, and each connection it dials in
 * its ClientMetrics, both with a handling-time histogram on chainlink's own
 * buckets. Names, help texts, labels and the way each counter moves are that
 * package's, so a node's dashboards and alerts read a TypeScript plugin as
 * they read a Go one.
 */

/** chainlink-common's `grpcpromBuckets` (pkg/loop/telem.go), seconds. */
export const GRPC_PROM_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120]);

/** grpc-go's `codes.Code.String()`: the `grpc_code` label values. */
const GO_CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
  "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];

/** The `grpc_code` label of a status code, as grpc-go spells it. */
export function goCodeName(code: Code): string {
  return GO_CODE_NAMES[code] ?? `Code(${code})`;
}

const METHOD_LABELS = ["grpc_type", "grpc_service", "grpc_method"] as const;

/** The families' help texts, which are part of the interface. */
const HELP = {
  server: {
    started: "Total number of RPCs started on the server.",
    handled: "Total number of RPCs completed on the server, regardless of success or failure.",
    received: "Total number of RPC stream messages received on the server.",
    sent: "Total number of gRPC stream messages sent by the server.",
    handling: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
  },
  client: {
    started: "Total number of RPCs started on the client.",
    handled: "Total number of RPCs completed by the client, regardless of success or failure.",
    received: "Total number of RPC stream messages received by the client.",
    sent: "Total number of gRPC stream messages sent by the client.",
    handling: "Histogram of response latency (seconds) of the gRPC until it is finished by the application.",
  },
};

/** The per-method series, looked up once per method rather than per call. */
interface MethodSeries {
  labels: { grpc_method: string; grpc_service: string; grpc_type: string };
  started: Counter.Internal;
  received: Counter.Internal;
  sent: Counter.Internal;
  handling: Histogram.Internal<string>;
  handled: Map<Code, Counter.Internal>;
}

/** One side's five families (grpc_server_* or grpc_client_*), its series made on first use. */
class Families {
  private readonly started: Counter<string>;
  private readonly handled: Counter<string>;
  private readonly received: Counter<string>;
  private readonly sent: Counter<string>;
  private readonly handling: Histogram<string>;
  private readonly series = new WeakMap<ObservedMethod, MethodSeries>();

  constructor(side: "server" | "client", registry: Registry, buckets: readonly number[]) {
    const registers = [registry];
    const help = HELP[side];
    const name = (n: string) => `grpc_${side}_${n}`;
    this.started = new Counter({ name: name("started_total"), help: help.started, labelNames: METHOD_LABELS, registers });
    this.handled = new Counter({ name: name("handled_total"), help: help.handled, labelNames: [...METHOD_LABELS, "grpc_code"], registers });
    this.received = new Counter({ name: name("msg_received_total"), help: help.received, labelNames: METHOD_LABELS, registers });
    this.sent = new Counter({ name: name("msg_sent_total"), help: help.sent, labelNames: METHOD_LABELS, registers });
    this.handling = new Histogram({ name: name("handling_seconds"), help: help.handling, labelNames: METHOD_LABELS, buckets: [...buckets], registers });
  }

  of(method: ObservedMethod): MethodSeries {
    let s = this.series.get(method);
    if (!s) {
      // Labels in Go's exposition order (sorted by name).
      const labels = { grpc_method: method.method, grpc_service: method.service, grpc_type: method.type };
      s = {
        labels,
        started: this.started.labels(labels),
        received: this.received.labels(labels),
        sent: this.sent.labels(labels),
        handling: this.handling.labels(labels),
        handled: new Map(),
      };
      this.series.set(method, s);
    }
    return s;
  }

  /** Counts a call's end with `code` and its duration since `t0` (process.hrtime.bigint()). */
  handledAt(s: MethodSeries, code: Code, t0: bigint): void {
    let handled = s.handled.get(code);
    if (!handled) s.handled.set(code, (handled = this.handled.labels({ ...s.labels, grpc_code: goCodeName(code) })));
    handled.inc();
    s.handling.observe(Number(process.hrtime.bigint() - t0) / 1e9);
  }
}

/**
 * grpc_server_* metrics (go-grpc-middleware providers/prometheus ServerMetrics
 * with WithServerHandlingTimeHistogram), fed as a `CallObserver`: pass it in
 * `ServerOptions.callObservers` of every server whose calls it should count.
 * As in Go, a unary call counts one message received and one sent even when
 * it fails; a streaming call counts each message the handler reads, plus the
 * read that finds the end of input (or an error), and each message sent.
 * No series exists before its method's first call: chainlink-common calls
 * InitializeMetrics on a server before any service is registered on it, so a
 * Go plugin pre-creates none either.
 */
export class GrpcServerMetrics implements CallObserver {
  private readonly families: Families;

  constructor(registry: Registry, buckets: readonly number[] = GRPC_PROM_BUCKETS) {
    this.families = new Families("server", registry, buckets);
  }

  onCall(method: ObservedMethod): CallReporter {
    const f = this.families;
    const s = f.of(method);
    s.started.inc();
    const t0 = process.hrtime.bigint();
    if (method.type === "unary") {
      return {
        onReceive: () => s.received.inc(),
        onEnd: ({ code }) => {
          s.sent.inc();
          f.handledAt(s, code, t0);
        },
      };
    }
    return {
      onReceive: () => s.received.inc(),
      onReceiveEnd: () => s.received.inc(),
      onSend: () => s.sent.inc(),
      onEnd: ({ code }) => f.handledAt(s, code, t0),
    };
  }
}

/**
 * grpc_client_* metrics (go-grpc-middleware providers/prometheus ClientMetrics
 * with WithClientHandlingTimeHistogram), fed as a `CallObserver`: pass it in
 * `ChannelOptions.callObservers` of the channels whose calls it should count.
 * As in Go, a unary call counts one message sent and one received even when
 * it fails; a client stream counts each request sent and one receive (its
 * response or failure); a call with a response stream counts each response
 * read plus the read that ends the stream, and is counted handled only when
 * the application reads that end (an abandoned stream never is).
 */
export class GrpcClientMetrics implements CallObserver {
  private readonly families: Families;

  constructor(registry: Registry, buckets: readonly number[] = GRPC_PROM_BUCKETS) {
    this.families = new Families("client", registry, buckets);
  }

  onCall(method: ObservedMethod): CallReporter {
    const f = this.families;
    const s = f.of(method);
    s.started.inc();
    const t0 = process.hrtime.bigint();
    switch (method.type) {
      case "unary":
        return {
          onEnd: ({ code }) => {
            s.sent.inc();
            s.received.inc();
            f.handledAt(s, code, t0);
          },
        };
      case "client_stream":
        return {
          onSend: () => s.sent.inc(),
          onEnd: ({ code }) => {
            s.received.inc();
            f.handledAt(s, code, t0);
          },
        };
      default: {
        let readEnd = false;
        return {
          onSend: () => s.sent.inc(),
          onReceive: () => s.received.inc(),
          onReceiveEnd: () => {
            readEnd = true;
            s.received.inc();
          },
          onEnd: ({ code }) => readEnd && f.handledAt(s, code, t0),
        };
      }
    }
  }
}
