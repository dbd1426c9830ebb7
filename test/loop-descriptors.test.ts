// Descriptor conformance: our protos (proto/loop, proto/plugin, proto/grpc/health/v1,
// proto/opentelemetry's trace collector, as
// compiled into src/gen) against the descriptors the Go side actually registers
// (chainlink-common v0.11.1 + go-plugin v1.8.0 + grpc health), dumped by
// interop/.bin/loop-descriptors as a FileDescriptorSet.
//
// Compared: every service in scope (methods, input/output full names, streaming kind), every
// message and enum reachable from those services (recursively), and every top-level type of the
// LOOP files. For messages: fields by name (number, type, label, proto3 optional, oneof name,
// message/enum type full name, map-ness and map key/value), oneof names, nested type names; for
// enums: value names and numbers. Options, comments, file names and json names are ignored
// (none of them are on the wire).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createFileRegistry,
  clearField,
  fromBinary,
  isFieldSet,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { file_grpc_health_v1_health } from "../src/gen/grpc/health/v1/health_pb.js";
import { file_loop_capabilities_pb_registry } from "../src/gen/loop/capabilities/pb/registry_pb.js";
import { file_loop_chain_common_query } from "../src/gen/loop/chain-common/query_pb.js";
import { file_loop_chains_evm_evm } from "../src/gen/loop/chains/evm/evm_pb.js";
import { file_loop_internal_codec_codec } from "../src/gen/loop/internal/codec/codec_pb.js";
import { file_loop_internal_pb_capabilities_registry } from "../src/gen/loop/internal/pb/capabilities_registry_pb.js";
import { file_loop_internal_pb_contract_reader } from "../src/gen/loop/internal/pb/contract_reader_pb.js";
import { file_loop_internal_pb_contract_writer } from "../src/gen/loop/internal/pb/contract_writer_pb.js";
import { file_loop_internal_pb_keystore } from "../src/gen/loop/internal/pb/keystore_pb.js";
import { file_loop_internal_pb_median } from "../src/gen/loop/internal/pb/median_pb.js";
import { file_loop_internal_pb_median_datasource } from "../src/gen/loop/internal/pb/median_datasource_pb.js";
import { file_loop_internal_pb_relayer } from "../src/gen/loop/internal/pb/relayer_pb.js";
import { file_loop_internal_pb_reporting } from "../src/gen/loop/internal/pb/reporting_pb.js";
import { file_plugin_grpc_broker } from "../src/gen/plugin/grpc_broker_pb.js";
import { file_plugin_grpc_controller } from "../src/gen/plugin/grpc_controller_pb.js";
import { file_loop_values_v1_values } from "../src/gen/loop/values/v1/values_pb.js";
import { file_plugin_grpc_stdio } from "../src/gen/plugin/grpc_stdio_pb.js";
import { file_opentelemetry_proto_collector_trace_v1_trace_service } from "../src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js";
import { BIN } from "./helpers.js";

const LOOP_DESCRIPTORS = join(BIN, "loop-descriptors");

/** The 15 services of the design scope, with their RPC counts at v0.11.1 (45 in all). */
const SCOPE: Record<string, number> = {
  "loop.PluginRelayer": 1,
  "loop.Keystore": 3,
  "loop.Relayer": 12,
  "loop.OffchainConfigDigester": 2,
  "loop.ContractConfigTracker": 3,
  "loop.ContractTransmitter": 3,
  "loop.Service": 4,
  "loop.PluginMedian": 1,
  "loop.ErrorLog": 1,
  "loop.ReportCodec": 3,
  "loop.MedianContract": 2,
  "loop.OnchainConfigCodec": 2,
  "loop.DataSource": 1,
  "loop.ReportingPluginFactory": 1,
  "loop.ReportingPlugin": 6,
};
/** Probed on every provider connection. */
const PROVIDER_EXTRAS = ["loop.ContractReader", "codec.Codec"];
/** The rest of the relayer surface: chain writes, and the registry the host serves on capabilityRegistryID. */
const RELAYER_EXTRAS: Record<string, number> = { "loop.ContractWriter": 4, "loop.CapabilitiesRegistry": 10 };
/** go-plugin's own services and the standard health service. */
const GO_PLUGIN_SERVICES = ["plugin.GRPCBroker", "plugin.GRPCController", "plugin.GRPCStdio", "grpc.health.v1.Health"];
/** The OTLP collector service serveLoop's trace exporter calls (opentelemetry-proto v1.6.0, as chainlink-common links it). */
const TRACING_SERVICES = ["opentelemetry.proto.collector.trace.v1.TraceService"];
const ALL_SERVICES = [...Object.keys(SCOPE), ...PROVIDER_EXTRAS, ...Object.keys(RELAYER_EXTRAS), ...GO_PLUGIN_SERVICES, ...TRACING_SERVICES];

/**
 * Services whose methods may exist only on our side. Empty: our health.proto has `List`, and so
 * does the grpc-go the Go side links (v1.78). An older grpc-go would register a health.proto
 * without `List`; a Go peer would never call it, so "grpc.health.v1.Health" would be the one
 * entry to add here. Every other service must match method for method, both ways.
 */
const TS_MAY_HAVE_EXTRA_METHODS = new Set<string>();

/** Go file path → our file path, for the LOOP files whose whole content is compared. */
const LOOP_FILES: Array<[go: string, ts: string]> = [
  ["loop/internal/pb/relayer.proto", "loop/internal/pb/relayer.proto"],
  ["loop/internal/pb/keystore.proto", "loop/internal/pb/keystore.proto"],
  ["loop/internal/pb/median.proto", "loop/internal/pb/median.proto"],
  ["loop/internal/pb/median_datasource.proto", "loop/internal/pb/median_datasource.proto"],
  ["loop/internal/pb/reporting.proto", "loop/internal/pb/reporting.proto"],
  ["loop/internal/pb/contract_reader.proto", "loop/internal/pb/contract_reader.proto"],
  // Upstream keeps it at internal/codec/; ours lives under loop/ (file names are not on the wire).
  ["internal/codec/codec.proto", "loop/internal/codec/codec.proto"],
  ["loop/chain-common/query.proto", "loop/chain-common/query.proto"],
  // Upstream registers these three under their bare file names.
  ["contract_writer.proto", "loop/internal/pb/contract_writer.proto"],
  ["capabilities_registry.proto", "loop/internal/pb/capabilities_registry.proto"],
  ["registry.proto", "loop/capabilities/pb/registry.proto"],
  // Shipped upstream as generated Go only (chainlink-protos); ours was written from its descriptor.
  ["values/v1/values.proto", "loop/values/v1/values.proto"],
  // evm.proto is not listed: ours holds only the GetTransactionStatus types ContractWriter
  // uses, which the service comparison reaches and checks.
];

/** Our generated files; their imports (WKTs) are pulled in transitively. */
const OUR_FILES: DescFile[] = [
  file_loop_internal_pb_relayer,
  file_loop_internal_pb_keystore,
  file_loop_internal_pb_median,
  file_loop_internal_pb_median_datasource,
  file_loop_internal_pb_reporting,
  file_loop_internal_pb_contract_reader,
  file_loop_internal_codec_codec,
  file_loop_chain_common_query,
  file_loop_internal_pb_contract_writer,
  file_loop_internal_pb_capabilities_registry,
  file_loop_capabilities_pb_registry,
  file_loop_values_v1_values,
  file_loop_chains_evm_evm,
  file_plugin_grpc_broker,
  file_plugin_grpc_controller,
  file_plugin_grpc_stdio,
  file_grpc_health_v1_health,
  file_opentelemetry_proto_collector_trace_v1_trace_service,
];

// ---------------------------------------------------------------------------------------------
// Loading

interface GoDescriptors {
  registry: FileRegistry;
  /** Files left out because an import of theirs (transitively) is not in the dump. */
  dropped: string[];
}

function loadGoRegistry(): GoDescriptors {
  if (!existsSync(LOOP_DESCRIPTORS)) {
    throw new Error(
      `${LOOP_DESCRIPTORS} is missing: the descriptor conformance test needs the Go descriptor dumper. ` +
        "Run `npm run interop:build` (needs Go).",
    );
  }
  const bytes = execFileSync(LOOP_DESCRIPTORS, [], { maxBuffer: 256 * 1024 * 1024 });
  const set = fromBinary(FileDescriptorSetSchema, new Uint8Array(bytes));
  if (set.file.length === 0) throw new Error(`${LOOP_DESCRIPTORS} wrote an empty FileDescriptorSet`);
  // createFileRegistry wants every import ahead of its importer (the dump is sorted by path),
  // and every import present. Go's registry tolerates imports of packages that were not linked
  // in (it uses placeholders), so a few files outside our scope cannot be resolved: skip those.
  const byName = new Map(set.file.map((f) => [f.name, f]));
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, boolean>(); // name → resolvable
  const place = (f: FileDescriptorProto): boolean => {
    const known = state.get(f.name);
    if (known !== undefined) return known;
    state.set(f.name, false); // cycles cannot happen in protobuf imports; guard anyway
    let ok = true;
    for (const dep of f.dependency) {
      const d = byName.get(dep);
      if (!d || !place(d)) ok = false;
    }
    state.set(f.name, ok);
    if (ok) ordered.push(f);
    return ok;
  };
  set.file.forEach(place);
  const dropped = [...state].filter(([, ok]) => !ok).map(([n]) => n);
  set.file = ordered;
  return { registry: createFileRegistry(set), dropped };
}

/** Deep copies of our FileDescriptorProtos, imports included, dependencies first. */
function ourFileProtos(): FileDescriptorProto[] {
  const seen = new Set<string>();
  const out: FileDescriptorProto[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    f.dependencies.forEach(visit);
    out.push(fromBinary(FileDescriptorProtoSchema, toBinary(FileDescriptorProtoSchema, f.proto)));
  };
  OUR_FILES.forEach(visit);
  return out;
}

function registryFromProtos(files: FileDescriptorProto[]): FileRegistry {
  return createFileRegistry({ $typeName: "google.protobuf.FileDescriptorSet", file: files });
}

// ---------------------------------------------------------------------------------------------
// Comparison

interface CompareScope {
  /** Service full names compared method by method (and their reachable types). */
  services: string[];
  /** File pairs whose top-level types must be the same set, each compared. */
  files: Array<[go: string, ts: string]>;
}

/** One short line per property, so a difference reads as `what: go=… ts=…`. */
function fieldShape(m: DescMessage, f: DescField): Record<string, string> {
  const p = f.proto;
  // Oneof membership by name; synthetic oneofs of proto3 `optional` fields count too.
  const oneofName = isFieldSet(p, FieldDescriptorProtoSchema.field.oneofIndex)
    ? (m.proto.oneofDecl[p.oneofIndex]?.name ?? `#${p.oneofIndex}`)
    : "";
  let valueType = "";
  switch (f.fieldKind) {
    case "message":
      valueType = f.message.typeName;
      break;
    case "enum":
      valueType = f.enum.typeName;
      break;
    case "list":
      valueType = f.listKind === "message" ? f.message.typeName : f.listKind === "enum" ? f.enum.typeName : "";
      break;
    case "map":
      valueType = `map<${ScalarType[f.mapKey]}, ${
        f.mapKind === "message" ? f.message.typeName : f.mapKind === "enum" ? f.enum.typeName : ScalarType[f.scalar]
      }>`;
      break;
  }
  return {
    number: String(p.number),
    type: FieldDescriptorProto_Type[p.type] ?? String(p.type),
    label: FieldDescriptorProto_Label[p.label] ?? String(p.label),
    proto3Optional: String(p.proto3Optional),
    oneof: oneofName,
    typeName: valueType,
    map: String(f.fieldKind === "map"),
  };
}

function namesDiff(what: string, go: Iterable<string>, ts: Iterable<string>, allowTsExtra = false): string[] {
  const g = new Set(go);
  const t = new Set(ts);
  const out: string[] = [];
  for (const n of g) if (!t.has(n)) out.push(`${what}: ${n} only in go`);
  if (!allowTsExtra) for (const n of t) if (!g.has(n)) out.push(`${what}: ${n} only in ts`);
  return out;
}

/**
 * Compares `ts` against `go` over `scope`; returns human-readable differences (empty = equal).
 * Types are looked up by full name in each registry separately, so a difference anywhere in the
 * reachable graph is found, not only at the roots.
 */
function compareDescriptors(go: FileRegistry, ts: FileRegistry, scope: CompareScope): string[] {
  const diffs: string[] = [];
  const queue: string[] = [];
  const seen = new Set<string>();
  const enqueue = (typeName: string) => {
    if (!seen.has(typeName)) {
      seen.add(typeName);
      queue.push(typeName);
    }
  };

  for (const name of scope.services) {
    const gs = go.getService(name);
    const tsvc = ts.getService(name);
    if (!gs || !tsvc) {
      diffs.push(`service ${name}: ${!gs && !tsvc ? "missing on both sides" : !gs ? "missing in go" : "missing in ts"}`);
      continue;
    }
    diffs.push(
      ...namesDiff(
        `service ${name} method`,
        gs.methods.map((m) => m.name),
        tsvc.methods.map((m) => m.name),
        TS_MAY_HAVE_EXTRA_METHODS.has(name),
      ),
    );
    for (const gm of gs.methods) {
      const tm = tsvc.methods.find((m) => m.name === gm.name);
      if (!tm) continue;
      const at = `service ${name} method ${gm.name}`;
      if (gm.input.typeName !== tm.input.typeName) diffs.push(`${at}: input go=${gm.input.typeName} ts=${tm.input.typeName}`);
      if (gm.output.typeName !== tm.output.typeName) diffs.push(`${at}: output go=${gm.output.typeName} ts=${tm.output.typeName}`);
      if (gm.methodKind !== tm.methodKind) diffs.push(`${at}: kind go=${gm.methodKind} ts=${tm.methodKind}`);
      for (const t of [gm.input.typeName, gm.output.typeName, tm.input.typeName, tm.output.typeName]) enqueue(t);
    }
  }

  for (const [goPath, tsPath] of scope.files) {
    const gf = go.getFile(goPath);
    const tf = ts.getFile(tsPath);
    if (!gf || !tf) {
      diffs.push(`file ${goPath}: ${!gf ? `missing in go` : `missing in ts (as ${tsPath})`}`);
      continue;
    }
    const top = (f: DescFile) => [...f.messages, ...f.enums, ...f.services].map((d) => `${d.kind} ${d.typeName}`);
    diffs.push(...namesDiff(`file ${goPath} top-level`, top(gf), top(tf)));
    for (const d of [...gf.messages, ...gf.enums, ...tf.messages, ...tf.enums]) enqueue(d.typeName);
    const svcs = new Set([...gf.services, ...tf.services].map((s) => s.typeName));
    // Services of these files that are not in `scope.services` still get compared.
    const extra = [...svcs].filter((s) => !scope.services.includes(s));
    if (extra.length) diffs.push(...compareDescriptors(go, ts, { services: extra, files: [] }));
  }

  while (queue.length) {
    const typeName = queue.shift()!;
    const gt = go.get(typeName);
    const tt = ts.get(typeName);
    if (!gt || !tt) {
      diffs.push(`type ${typeName}: ${!gt && !tt ? "missing on both sides" : !gt ? "missing in go" : "missing in ts"}`);
      continue;
    }
    if (gt.kind !== tt.kind) {
      diffs.push(`type ${typeName}: kind go=${gt.kind} ts=${tt.kind}`);
      continue;
    }
    if (gt.kind === "message" && tt.kind === "message") diffs.push(...compareMessage(gt, tt, enqueue));
    else if (gt.kind === "enum" && tt.kind === "enum") diffs.push(...compareEnum(gt, tt));
  }
  return diffs;
}

function compareMessage(g: DescMessage, t: DescMessage, enqueue: (typeName: string) => void): string[] {
  const at = `message ${g.typeName}`;
  const diffs: string[] = [];
  diffs.push(...namesDiff(`${at} field`, g.fields.map((f) => f.name), t.fields.map((f) => f.name)));
  diffs.push(...namesDiff(`${at} oneof`, g.proto.oneofDecl.map((o) => o.name), t.proto.oneofDecl.map((o) => o.name)));
  diffs.push(...namesDiff(`${at} nested message`, g.proto.nestedType.map((n) => n.name), t.proto.nestedType.map((n) => n.name)));
  diffs.push(...namesDiff(`${at} nested enum`, g.proto.enumType.map((n) => n.name), t.proto.enumType.map((n) => n.name)));
  for (const gf of g.fields) {
    const tf = t.fields.find((f) => f.name === gf.name);
    if (!tf) continue;
    const gs = fieldShape(g, gf);
    const ts = fieldShape(t, tf);
    for (const k of Object.keys(gs)) {
      if (gs[k] !== ts[k]) diffs.push(`${at} field ${gf.name}: ${k} go=${gs[k] || "-"} ts=${ts[k] || "-"}`);
    }
  }
  for (const f of [...g.fields, ...t.fields]) {
    if (f.message) enqueue(f.message.typeName);
    if (f.enum) enqueue(f.enum.typeName);
  }
  // Nested types that no field references (rare) are still part of the message's shape.
  for (const n of [...g.nestedMessages, ...g.nestedEnums, ...t.nestedMessages, ...t.nestedEnums]) enqueue(n.typeName);
  return diffs;
}

function compareEnum(g: DescEnum, t: DescEnum): string[] {
  const at = `enum ${g.typeName}`;
  const diffs = namesDiff(`${at} value`, g.values.map((v) => v.name), t.values.map((v) => v.name));
  for (const gv of g.values) {
    const tv = t.values.find((v) => v.name === gv.name);
    if (tv && tv.number !== gv.number) diffs.push(`${at} value ${gv.name}: number go=${gv.number} ts=${tv.number}`);
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------

const FULL_SCOPE: CompareScope = { services: ALL_SERVICES, files: LOOP_FILES };

describe("LOOP descriptors vs. the Go registry (chainlink-common v0.11.1, go-plugin v1.8.0)", () => {
  let go: FileRegistry;
  let ours: FileRegistry;
  let dropped: string[];

  beforeAll(() => {
    ({ registry: go, dropped } = loadGoRegistry());
    ours = registryFromProtos(ourFileProtos());
  });

  test("the Go side registers the 15 scope services with 45 RPCs, plus ContractReader, Codec, ContractWriter and CapabilitiesRegistry", () => {
    // Only files outside the compared scope may be unresolvable in the Go dump.
    const needed = new Set([...LOOP_FILES.map(([g]) => g), ...ALL_SERVICES.map((s) => go.getService(s)?.file.name)]);
    expect(dropped.filter((f) => needed.has(f))).toEqual([]);
    const counts = Object.fromEntries(Object.keys(SCOPE).map((s) => [s, go.getService(s)?.methods.length ?? 0]));
    expect(counts).toEqual(SCOPE);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(45);
    expect(go.getService("loop.ContractReader")?.methods.length).toBe(7);
    expect(go.getService("codec.Codec")?.methods.length).toBe(3);
    expect(Object.fromEntries(Object.keys(RELAYER_EXTRAS).map((s) => [s, go.getService(s)?.methods.length ?? 0]))).toEqual(RELAYER_EXTRAS);
  });

  test("our services and every reachable message/enum match the Go descriptors", () => {
    expect(compareDescriptors(go, ours, FULL_SCOPE)).toEqual([]);
  });

  test("the comparison covers the whole graph (sanity: it sees many types)", () => {
    // Guards against a comparator that silently walks nothing.
    const reach = new Set<string>();
    const walk = (m: DescMessage) => {
      if (reach.has(m.typeName)) return;
      reach.add(m.typeName);
      for (const f of m.fields) if (f.message) walk(f.message);
    };
    for (const s of ALL_SERVICES) {
      for (const m of ours.getService(s)?.methods ?? []) {
        walk(m.input);
        walk(m.output);
      }
    }
    expect(reach.size).toBeGreaterThan(100);
    expect(reach).toContain("loop.chain.common.Expression");
    expect(reach).toContain("google.protobuf.Struct");
    expect(reach).toContain("loop.evm.GetTransactionStatusReply");
    expect(reach).toContain("values.v1.Value");
    expect(reach).toContain("loop.CapabilityMethodConfig");
  });

  test("a single renumbered field in a mutated copy is reported, and nothing else", () => {
    const files = ourFileProtos();
    const relayer = files.find((f) => f.name === "loop/internal/pb/relayer.proto")!;
    const relayArgs = relayer.messageType.find((m) => m.name === "RelayArgs")!;
    const providerType = relayArgs.field.find((f) => f.name === "providerType")!;
    expect(providerType.number).toBe(6);
    providerType.number = 16;
    const mutated = registryFromProtos(files);

    expect(compareDescriptors(go, mutated, FULL_SCOPE)).toEqual(["message loop.RelayArgs field providerType: number go=6 ts=16"]);
    // The pristine set is untouched by the mutation (deep copies).
    expect(file_loop_internal_pb_relayer.proto.messageType.find((m) => m.name === "RelayArgs")!.field.find((f) => f.name === "providerType")!.number).toBe(6);
  });

  test("the comparison also catches type, label, optional, oneof, enum, method and streaming changes", () => {
    const files = ourFileProtos();
    const file = (n: string) => files.find((f) => f.name === n)!;
    const message = (f: string, m: string) => file(f).messageType.find((x) => x.name === m)!;
    const field = (f: string, m: string, name: string) => message(f, m).field.find((x) => x.name === name)!;
    // BigInt.negative: bool → string.
    field("loop/internal/pb/relayer.proto", "BigInt", "negative").type = FieldDescriptorProto_Type.STRING;
    // Limit.count: singular → repeated.
    field("loop/chain-common/query.proto", "Limit", "count").label = FieldDescriptorProto_Label.REPEATED;
    // Confidence.Safe: 2 → 3.
    file("loop/chain-common/query.proto").enumType.find((e) => e.name === "Confidence")!.value.find((v) => v.name === "Safe")!.number = 3;
    // NewMedianFactoryRequest.deviationFuncDefinition: proto3 `optional` → plain (drop the synthetic oneof).
    const dev = field("loop/internal/pb/median.proto", "NewMedianFactoryRequest", "deviationFuncDefinition");
    dev.proto3Optional = false;
    clearField(dev, FieldDescriptorProtoSchema.field.oneofIndex);
    message("loop/internal/pb/median.proto", "NewMedianFactoryRequest").oneofDecl = [];
    // Expression.boolean_expression: taken out of oneof `evaluator`.
    clearField(field("loop/chain-common/query.proto", "Expression", "boolean_expression"), FieldDescriptorProtoSchema.field.oneofIndex);
    // GRPCStdio.StreamStdio: server streaming → unary.
    file("plugin/grpc_stdio.proto").service[0].method.find((m) => m.name === "StreamStdio")!.serverStreaming = false;
    // loop.Relayer loses Replay.
    const relayerSvc = file("loop/internal/pb/relayer.proto").service.find((x) => x.name === "Relayer")!;
    relayerSvc.method = relayerSvc.method.filter((m) => m.name !== "Replay");

    expect(compareDescriptors(go, registryFromProtos(files), FULL_SCOPE).sort()).toEqual([
      "enum loop.chain.common.Confidence value Safe: number go=2 ts=3",
      "message loop.BigInt field negative: type go=BOOL ts=STRING",
      "message loop.NewMedianFactoryRequest field deviationFuncDefinition: oneof go=_deviationFuncDefinition ts=-",
      "message loop.NewMedianFactoryRequest field deviationFuncDefinition: proto3Optional go=true ts=false",
      "message loop.NewMedianFactoryRequest oneof: _deviationFuncDefinition only in go",
      "message loop.chain.common.Expression field boolean_expression: oneof go=evaluator ts=-",
      "message loop.chain.common.Limit field count: label go=OPTIONAL ts=REPEATED",
      "service loop.Relayer method: Replay only in go",
      "service plugin.GRPCStdio method StreamStdio: kind go=server_streaming ts=unary",
    ]);
  });
});
