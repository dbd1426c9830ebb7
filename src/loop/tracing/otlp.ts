/**
 * Finished spans as the OTLP export request OpenTelemetry-Go's otlptrace
 * exporter (v1.36.0) builds: one ResourceSpans with the resource and its
 * schema URL, one ScopeSpans per instrumentation scope, and per span the
 * parent's "is remote" bits in `flags`. The parent of a server span is always
 * marked remote (otelgrpc starts it from the incoming context, empty or not),
 * so server spans carry 0x300, client spans (parent local or none) 0x100, as
 * a Go LOOP plugin's do.
 */
import { create } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema, type ExportTraceServiceRequest } from "../../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { AnyValueSchema, KeyValueSchema, type KeyValue } from "../../gen/opentelemetry/proto/common/v1/common_pb.js";
import { Span_SpanKind, SpanFlags, Status_StatusCode } from "../../gen/opentelemetry/proto/trace/v1/trace_pb.js";
import type { AttributeValue, FinishedSpan } from "./grpc-spans.js";

export interface OtlpResource {
  attributes: Array<[string, AttributeValue]>;
  schemaUrl: string;
}

export interface OtlpScope {
  name: string;
  version: string;
}

const REMOTE_PARENT = SpanFlags.CONTEXT_HAS_IS_REMOTE_MASK | SpanFlags.CONTEXT_IS_REMOTE_MASK;
const LOCAL_PARENT = SpanFlags.CONTEXT_HAS_IS_REMOTE_MASK;

export function exportRequest(resource: OtlpResource, scope: OtlpScope, spans: readonly FinishedSpan[]): ExportTraceServiceRequest {
  return create(ExportTraceServiceRequestSchema, {
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource.attributes) },
        schemaUrl: resource.schemaUrl,
        scopeSpans: [
          {
            scope: { name: scope.name, version: scope.version },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              traceState: s.traceState,
              parentSpanId: s.parentSpanId ?? new Uint8Array(0),
              flags: s.kind === "server" ? REMOTE_PARENT : LOCAL_PARENT,
              name: s.name,
              kind: s.kind === "server" ? Span_SpanKind.SERVER : Span_SpanKind.CLIENT,
              startTimeUnixNano: s.startNanos,
              endTimeUnixNano: s.endNanos,
              attributes: keyValues(s.attributes),
              status: { code: s.statusCode === 2 ? Status_StatusCode.ERROR : Status_StatusCode.UNSET, message: s.statusMessage },
            })),
          },
        ],
      },
    ],
  });
}

function keyValues(attrs: ReadonlyArray<[string, AttributeValue]>): KeyValue[] {
  return attrs.map(([key, v]) =>
    create(KeyValueSchema, {
      key,
      value: create(AnyValueSchema, {
        value:
          typeof v === "string"
            ? { case: "stringValue", value: v }
            : typeof v === "boolean"
              ? { case: "boolValue", value: v }
              : { case: "intValue", value: v },
      }),
    }),
  );
}
