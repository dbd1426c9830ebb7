import { Counter, Histogram, type Registry } from "prom-client";
import type { CallObserver, CallReporter, ObservedMethod } from "../rpc/observe.js";
import { Code } from "../rpc/status.js";

/**
 * The gRPC server metrics every Go LOOP plugin exposes: chainlink-common's
 * loop.GRPCOpts wraps each server it makes in go-grpc-middleware's
 * providers/prometheus v1.0.1 ServerMetrics with a handling-time histogram on
 * chainlink's own buckets. Names, help texts, labels and the way each counter
 * moves are that package's, so a node's dashboards and alerts read a
 * TypeScript plugin as they read a Go one.
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

type MethodLabels = { grpc_method: string; grpc_service: string; grpc_type: string };

/** The per-method series, looked up once per method rather than per call. */
interface MethodSeries {
  labels: MethodLabels;
  started: Counter.Internal;
  received: Counter.Internal;
  sent: Counter.Internal;
  handling: Histogram.Internal<string>;
  handled: Map<Code, Counter.Internal>;
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
  private readonly started: Counter<string>;
  private readonly handled: Counter<string>;
  private readonly received: Counter<string>;
  private readonly sent: Counter<string>;
  private readonly handling: Histogram<string>;
  private readonly series = new WeakMap<ObservedMethod, MethodSeries>();

  constructor(registry: Registry, buckets: readonly number[] = GRPC_PROM_BUCKETS) {
    const registers = [registry];
    this.started = new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames: METHOD_LABELS, registers });
    this.handled = new Counter({
      name: "grpc_server_handled_total",
      help: "Total number of RPCs completed on the server, regardless of success or failure.",
      labelNames: [...METHOD_LABELS, "grpc_code"],
      registers,
    });
    this.received = new Counter({ name: "grpc_server_msg_received_total", help: "Total number of RPC stream messages received on the server.", labelNames: METHOD_LABELS, registers });
    this.sent = new Counter({ name: "grpc_server_msg_sent_total", help: "Total number of gRPC stream messages sent by the server.", labelNames: METHOD_LABELS, registers });
    this.handling = new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
      labelNames: METHOD_LABELS,
      buckets: [...buckets],
      registers,
    });
  }

  onCall(method: ObservedMethod): CallReporter {
    const s = this.seriesOf(method);
    s.started.inc();
    const t0 = process.hrtime.bigint();
    const end = (code: Code) => {
      let handled = s.handled.get(code);
      if (!handled) s.handled.set(code, (handled = this.handled.labels({ ...s.labels, grpc_code: goCodeName(code) })));
      handled.inc();
      s.handling.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    };
    if (method.type === "unary") {
      return {
        onReceive: () => s.received.inc(),
        onEnd: ({ code }) => {
          s.sent.inc();
          end(code);
        },
      };
    }
    return {
      onReceive: () => s.received.inc(),
      onReceiveEnd: () => s.received.inc(),
      onSend: () => s.sent.inc(),
      onEnd: ({ code }) => end(code),
    };
  }

  private seriesOf(method: ObservedMethod): MethodSeries {
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
}
