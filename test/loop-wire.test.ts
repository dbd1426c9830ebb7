// LOOP wire helpers against bytes produced by Go. interop/.bin/loop-vectors (linking
// chainlink-common v0.11.1) prints [{name, type, hex, value}]: `hex` is Go's deterministic
// proto.Marshal of a message filled the way chainlink-common converts Go values, `value` the
// semantic value (big integers and nanosecond durations as decimal strings, bytes as hex).
//
// For every vector: Go's bytes are decoded with our generated schema and converted with our
// helpers into TypeScript values, which must equal `value`; then the message is rebuilt from
// `value` with our helpers and must serialise to Go's bytes exactly. The median-provider and
// contract-reader clients are then run against a server that answers with Go's bytes and
// records the requests, which must be Go's bytes too; and the server adapters are run end to end.
import { grpcJsChannelOf, grpcJsServerOf } from "../src/rpc/grpc-js-handles.js";
import type { Channel } from "../src/index.js";
import * as grpc from "@grpc/grpc-js";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Confidence } from "../src/gen/loop/chain-common/query_pb.js";
import { GetDecodingRequestSchema, VersionedBytesSchema } from "../src/gen/loop/internal/codec/codec_pb.js";
import { GetLatestValueReplySchema, GetLatestValueRequestSchema } from "../src/gen/loop/internal/pb/contract_reader_pb.js";
import {
  LatestRoundRequestedReplySchema,
  LatestRoundRequestedRequestSchema,
  LatestTransmissionDetailsReplySchema,
  OnchainConfigSchema,
  ParsedAttributedObservationSchema,
  ReportCodec as ReportCodecService,
} from "../src/gen/loop/internal/pb/median_pb.js";
import {
  AttributedOnchainSignatureSchema,
  BigIntSchema,
  ContractConfigSchema,
  PluginArgsSchema,
  RelayArgsSchema,
  ReportContextSchema,
  ReportTimestampSchema,
} from "../src/gen/loop/internal/pb/relayer_pb.js";
import { ReportingPluginConfigSchema } from "../src/gen/loop/internal/pb/reporting_pb.js";
import {
  CodecClient,
  codecServer,
  ContractReaderClient,
  contractReaderServer,
  getDecodingRequest,
  getLatestValueReply,
  getLatestValueRequest,
} from "../src/loop/services/contract-reader.js";
import {
  latestRoundRequested,
  latestTransmissionDetails,
  MedianContractClient,
  medianContractServer,
  onchainConfig,
  OnchainConfigCodecClient,
  onchainConfigCodecServer,
  parsedAttributedObservation,
  ReportCodecClient,
  reportCodecServer,
  type ParsedAttributedObservation,
} from "../src/loop/services/median-provider.js";
import { attributedOnchainSignature, contractConfig, reportContext, reportingPluginConfig, reportTimestamp } from "../src/loop/wire/ocr2.js";
import { configDigest } from "../src/loop/wire/digest.js";
import { decodeVersionedBytes, encodeVersionedBytes } from "../src/loop/wire/versioned-bytes.js";
import { fromBigIntWire, toBigIntWire } from "../src/loop/wire/bigint.js";
import { jobIdFromUuid, uuidFromJobId } from "../src/loop/wire/job-id.js";
import { uint8 } from "../src/loop/wire/ranges.js";
import { addServices, Code, createClient, RpcError } from "../src/rpc/index.js";
import { BIN } from "./helpers.js";

const LOOP_VECTORS = join(BIN, "loop-vectors");

interface Vector {
  name: string;
  type: string;
  hex: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
}

function loadVectors(): Vector[] {
  if (!existsSync(LOOP_VECTORS)) {
    throw new Error(`${LOOP_VECTORS} is missing: run \`npm run interop:build\` (needs Go); these tests never skip`);
  }
  const vectors = JSON.parse(execFileSync(LOOP_VECTORS, [], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) as Vector[];
  if (!Array.isArray(vectors) || vectors.length === 0) throw new Error(`${LOOP_VECTORS} printed no vectors`);
  return vectors;
}

const VECTORS = loadVectors();

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

function vector(name: string): Vector {
  const v = VECTORS.find((x) => x.name === name);
  if (!v) throw new Error(`loop-vectors has no vector named ${JSON.stringify(name)}`);
  return v;
}

/** Go's time.RFC3339Nano text of a UTC timestamp. */
function rfc3339Nano(seconds: bigint, nanos: number): string {
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const frac = String(nanos).padStart(9, "0").replace(/0+$/, "");
  return `${base}${frac ? `.${frac}` : ""}Z`;
}

/** The Go JSON form of a VersionedBytes, with `decoded` only where Go's vector has it. */
function versionedValue(vb: { version: number; data: Uint8Array } | undefined, goValue: { decoded?: unknown }) {
  if (!vb) throw new Error("VersionedBytes missing");
  const out: Record<string, unknown> = { version: vb.version, data: hex(vb.data) };
  if ("decoded" in goValue) out.decoded = decodeVersionedBytes(vb);
  return out;
}

/** The TS value a Go VersionedBytes vector stands for: its `decoded`, else our decoding of its data. */
function decodedOf(v: { version: number; data: string; decoded?: unknown }): unknown {
  return "decoded" in v ? v.decoded : decodeVersionedBytes({ version: v.version, data: unhex(v.data) });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Handler<S extends DescMessage = DescMessage> {
  schema: S;
  /** Go's message, converted with our helpers, in the vector's `value` format. */
  toValue(m: MessageShape<S>, goValue: Json): unknown;
  /** The message rebuilt from the vector's `value` with our helpers. */
  fromValue(value: Json): MessageShape<S>;
}

const handler = <S extends DescMessage>(h: Handler<S>): Handler => h as unknown as Handler;

const rtsValue = (t: { configDigest: Uint8Array; epoch: number; round: number }) => ({
  configDigest: hex(t.configDigest),
  epoch: t.epoch,
  round: t.round,
});
const rtsFrom = (v: Json) => ({ configDigest: unhex(v.configDigest), epoch: v.epoch, round: v.round });

const DURATIONS = [
  ["estimatedRoundInterval", "estimatedRoundIntervalNs"],
  ["maxDurationQuery", "maxDurationQueryNs"],
  ["maxDurationObservation", "maxDurationObservationNs"],
  ["maxDurationReport", "maxDurationReportNs"],
  ["maxDurationShouldAcceptFinalizedReport", "maxDurationShouldAcceptFinalizedReportNs"],
  ["maxDurationShouldTransmitAcceptedReport", "maxDurationShouldTransmitAcceptedReportNs"],
] as const;

/** One handler per message type loop-vectors emits; a type without one fails the suite. */
const HANDLERS: Record<string, Handler> = {
  "loop.BigInt": handler({
    schema: BigIntSchema,
    toValue: (m) => fromBigIntWire(m)!.toString(),
    fromValue: (v) => create(BigIntSchema, toBigIntWire(BigInt(v))),
  }),
  "loop.ReportTimestamp": handler({
    schema: ReportTimestampSchema,
    toValue: (m) => rtsValue(reportTimestamp.fromWire(m)),
    fromValue: (v) => reportTimestamp.toWire(rtsFrom(v)),
  }),
  "loop.ReportingPluginConfig": handler({
    schema: ReportingPluginConfigSchema,
    toValue: (m) => {
      const c = reportingPluginConfig.fromWire(m);
      const out: Record<string, unknown> = {
        configDigest: hex(c.configDigest),
        oracleID: c.oracleId,
        n: c.n,
        f: c.f,
        onchainConfig: hex(c.onchainConfig),
        offchainConfig: hex(c.offchainConfig),
      };
      for (const [wire, ts] of DURATIONS) out[wire] = c[ts].toString();
      return out;
    },
    fromValue: (v) => {
      const durations = Object.fromEntries(DURATIONS.map(([wire, ts]) => [ts, BigInt(v[wire])])) as Record<(typeof DURATIONS)[number][1], bigint>;
      return reportingPluginConfig.toWire({
        configDigest: unhex(v.configDigest),
        oracleId: v.oracleID,
        n: v.n,
        f: v.f,
        onchainConfig: unhex(v.onchainConfig),
        offchainConfig: unhex(v.offchainConfig),
        ...durations,
      });
    },
  }),
  "loop.RelayArgs": handler({
    schema: RelayArgsSchema,
    toValue: (m) => ({
      externalJobID: hex(m.externalJobID),
      externalJobIDUUID: uuidFromJobId(m.externalJobID),
      jobID: m.jobID,
      contractID: m.contractID,
      new: m.new,
      relayConfig: hex(m.relayConfig),
      providerType: m.providerType,
    }),
    fromValue: (v) =>
      create(RelayArgsSchema, {
        externalJobID: jobIdFromUuid(v.externalJobIDUUID),
        jobID: v.jobID,
        contractID: v.contractID,
        new: v.new,
        relayConfig: unhex(v.relayConfig),
        providerType: v.providerType,
      }),
  }),
  "loop.PluginArgs": handler({
    schema: PluginArgsSchema,
    toValue: (m) => ({ transmitterID: m.transmitterID, pluginConfig: hex(m.pluginConfig) }),
    fromValue: (v) => create(PluginArgsSchema, { transmitterID: v.transmitterID, pluginConfig: unhex(v.pluginConfig) }),
  }),
  "loop.ContractConfig": handler({
    schema: ContractConfigSchema,
    toValue: (m) => {
      const c = contractConfig.fromWire(m);
      return {
        configDigest: hex(c.configDigest),
        configCount: c.configCount.toString(),
        signers: c.signers.map(hex),
        transmitters: c.transmitters,
        F: c.f,
        onchainConfig: hex(c.onchainConfig),
        offchainConfigVersion: c.offchainConfigVersion.toString(),
        offchainConfig: hex(c.offchainConfig),
      };
    },
    fromValue: (v) =>
      contractConfig.toWire({
        configDigest: unhex(v.configDigest),
        configCount: BigInt(v.configCount),
        signers: v.signers.map(unhex),
        transmitters: v.transmitters,
        f: v.F,
        onchainConfig: unhex(v.onchainConfig),
        offchainConfigVersion: BigInt(v.offchainConfigVersion),
        offchainConfig: unhex(v.offchainConfig),
      }),
  }),
  "loop.AttributedOnchainSignature": handler({
    schema: AttributedOnchainSignatureSchema,
    toValue: (m) => {
      const s = attributedOnchainSignature.fromWire(m);
      return { signature: hex(s.signature), signer: s.signer };
    },
    fromValue: (v) => attributedOnchainSignature.toWire({ signature: unhex(v.signature), signer: v.signer }),
  }),
  "loop.ParsedAttributedObservation": handler({
    schema: ParsedAttributedObservationSchema,
    toValue: (m) => {
      const o = parsedAttributedObservation.fromWire(m);
      return {
        timestamp: o.timestamp,
        value: o.value.toString(),
        julesPerFeeCoin: o.juelsPerFeeCoin.toString(),
        observer: o.observer,
        gasPriceSubunits: o.gasPriceSubunits.toString(),
      };
    },
    fromValue: (v) =>
      parsedAttributedObservation.toWire({
        timestamp: v.timestamp,
        value: BigInt(v.value),
        juelsPerFeeCoin: BigInt(v.julesPerFeeCoin),
        gasPriceSubunits: BigInt(v.gasPriceSubunits),
        observer: v.observer,
      }),
  }),
  "loop.ReportContext": handler({
    schema: ReportContextSchema,
    toValue: (m) => {
      const c = reportContext.fromWire(m);
      return { reportTimestamp: rtsValue(c.reportTimestamp), extraHash: hex(c.extraHash) };
    },
    fromValue: (v) => reportContext.toWire({ reportTimestamp: rtsFrom(v.reportTimestamp), extraHash: unhex(v.extraHash) }),
  }),
  "loop.OnchainConfig": handler({
    schema: OnchainConfigSchema,
    toValue: (m) => {
      const c = onchainConfig.fromWire(m);
      return { min: c.min.toString(), max: c.max.toString() };
    },
    fromValue: (v) => onchainConfig.toWire({ min: BigInt(v.min), max: BigInt(v.max) }),
  }),
  "codec.VersionedBytes": handler({
    schema: VersionedBytesSchema,
    toValue: (m, go) => versionedValue(m, go),
    fromValue: (v) => create(VersionedBytesSchema, encodeVersionedBytes(decodedOf(v), v.version)),
  }),
  "loop.GetLatestValueRequest": handler({
    schema: GetLatestValueRequestSchema,
    toValue: (m, go) => ({
      read_identifier: m.readIdentifier,
      confidence: Confidence[m.confidence],
      params: versionedValue(m.params, go.params),
      as_value_type: m.asValueType,
    }),
    fromValue: (v) => {
      expect(v.as_value_type).toBe(false);
      return getLatestValueRequest(v.read_identifier, Confidence[v.confidence as keyof typeof Confidence], decodedOf(v.params));
    },
  }),
  "loop.GetLatestValueReply": handler({
    schema: GetLatestValueReplySchema,
    toValue: (m, go) => ({ ret_val: versionedValue(m.retVal, go.ret_val) }),
    fromValue: (v) => getLatestValueReply(decodedOf(v.ret_val)),
  }),
  "codec.GetDecodingRequest": handler({
    schema: GetDecodingRequestSchema,
    toValue: (m) => ({ encoded: hex(m.encoded), itemType: m.itemType, wireEncodingVersion: m.wireEncodingVersion }),
    fromValue: (v) => {
      expect(v.wireEncodingVersion).toBe(2);
      return getDecodingRequest(unhex(v.encoded), v.itemType);
    },
  }),
  "loop.LatestTransmissionDetailsReply": handler({
    schema: LatestTransmissionDetailsReplySchema,
    toValue: (m) => {
      const d = latestTransmissionDetails.fromWire(m);
      const { seconds, nanos } = d.latestTimestamp;
      return {
        configDigest: hex(d.configDigest),
        epoch: d.epoch,
        round: d.round,
        latestAnswer: d.latestAnswer.toString(),
        latestTimestamp: { seconds: seconds.toString(), nanos, rfc3339: rfc3339Nano(seconds, nanos) },
      };
    },
    fromValue: (v) =>
      latestTransmissionDetails.toWire({
        configDigest: unhex(v.configDigest),
        epoch: v.epoch,
        round: v.round,
        latestAnswer: BigInt(v.latestAnswer),
        latestTimestamp: { seconds: BigInt(v.latestTimestamp.seconds), nanos: v.latestTimestamp.nanos },
      }),
  }),
  "loop.LatestRoundRequestedRequest": handler({
    schema: LatestRoundRequestedRequestSchema,
    toValue: (m) => ({ lookback: m.lookback.toString() }),
    fromValue: (v) => create(LatestRoundRequestedRequestSchema, { lookback: BigInt(v.lookback) }),
  }),
};

describe("loop-vectors (Go) output", () => {
  test("covers the documented message types and BigInt values", () => {
    const types = new Set(VECTORS.map((v) => v.type));
    for (const t of [
      "loop.BigInt",
      "loop.ReportTimestamp",
      "loop.ReportingPluginConfig",
      "loop.RelayArgs",
      "loop.ContractConfig",
      "loop.AttributedOnchainSignature",
      "loop.ParsedAttributedObservation",
      "loop.ReportContext",
      "codec.VersionedBytes",
      "loop.GetLatestValueRequest",
      "loop.LatestTransmissionDetailsReply",
    ]) {
      expect(types).toContain(t);
    }
    const bigs = VECTORS.filter((v) => v.type === "loop.BigInt").map((v) => v.value);
    expect(bigs.sort()).toEqual(
      ["0", "1", "-1", "255", "256", "-1042", "31", "1234567890987654321", "-12", String(-(2n ** 200n)), String(2n ** 64n)].sort(),
    );
  });

  test("every vector type has a handler here", () => {
    expect(VECTORS.filter((v) => !HANDLERS[v.type]).map((v) => `${v.name} (${v.type})`)).toEqual([]);
  });

  test("vector names are unique", () => {
    expect(new Set(VECTORS.map((v) => v.name)).size).toBe(VECTORS.length);
  });
});

describe.each(VECTORS.map((v) => [v.name, v] as const))("Go vector %s", (_name, v) => {
  const h = HANDLERS[v.type]!;

  test("decodes to Go's semantic value with our helpers", () => {
    expect(h).toBeDefined();
    expect(h.schema.typeName).toBe(v.type);
    const m = fromBinary(h.schema, unhex(v.hex));
    expect(h.toValue(m, v.value)).toEqual(v.value);
  });

  test("re-encodes from the semantic value to Go's bytes exactly", () => {
    const m = h.fromValue(v.value);
    expect(hex(toBinary(h.schema, m))).toBe(v.hex);
  });
});

describe("range checks", () => {
  test("uint8 fields reject 256 and name the field", () => {
    expect(() => uint8(256, "round")).toThrow(RangeError);
    expect(() => uint8(256, "round")).toThrow(/round/);
    expect(() => uint8(-1, "observer")).toThrow(/observer/);
    expect(() => uint8(1.5, "signer")).toThrow(/signer/);
    expect(uint8(255, "round")).toBe(255);

    const digest = new Uint8Array(32);
    expect(() => reportTimestamp.toWire({ configDigest: digest, epoch: 1, round: 256 })).toThrow(/round: 256/);
    expect(() => attributedOnchainSignature.toWire({ signature: new Uint8Array(1), signer: 256 })).toThrow(/signer/);
    expect(() =>
      contractConfig.toWire({
        configDigest: digest,
        configCount: 1n,
        signers: [],
        transmitters: [],
        f: 256,
        onchainConfig: new Uint8Array(),
        offchainConfigVersion: 1n,
        offchainConfig: new Uint8Array(),
      }),
    ).toThrow(/F: 256/);
    const obs: ParsedAttributedObservation = { timestamp: 1, value: 1n, juelsPerFeeCoin: 1n, gasPriceSubunits: 1n, observer: 256 };
    expect(() => parsedAttributedObservation.toWire(obs)).toThrow(new RangeError("expected uint8 Observer (max 255) but got 256"));
    expect(() => parsedAttributedObservation.toWire({ ...obs, observer: 1, timestamp: 2 ** 32 })).toThrow(/timestamp/);
  });

  test("config digests must be 32 bytes", () => {
    expect(() => configDigest(new Uint8Array(31))).toThrow(RangeError);
    expect(() => configDigest(new Uint8Array(31))).toThrow(/32 bytes, got 31/);
    expect(() => configDigest(new Uint8Array(33), "extraHash")).toThrow(/extraHash/);
    const short = create(ReportTimestampSchema, { configDigest: new Uint8Array(31), epoch: 1, round: 1 });
    expect(() => reportTimestamp.fromWire(short)).toThrow(/got 31/);
    // The Go median client's checks, with Go's text.
    const reply = create(LatestTransmissionDetailsReplySchema, { configDigest: new Uint8Array(31), latestAnswer: toBigIntWire(1n) });
    expect(() => latestTransmissionDetails.fromWire(reply)).toThrow(new RangeError("expected ConfigDigest length 32 but got 31"));
    reply.configDigest = new Uint8Array(32);
    reply.round = 256;
    expect(() => latestTransmissionDetails.fromWire(reply)).toThrow(new RangeError("expected uint8 Round (max 255) but got 256"));
  });

  test("job ids must be 16 bytes", () => {
    expect(() => uuidFromJobId(new Uint8Array(15))).toThrow(RangeError);
    expect(() => uuidFromJobId(new Uint8Array(15))).toThrow(/16 bytes, got 15/);
    expect(() => jobIdFromUuid("1051429b-aa66-11ed-b0d2-5cff35dfbe")).toThrow(/externalJobID/);
    expect(uuidFromJobId(jobIdFromUuid("1051429B-AA66-11ED-B0D2-5CFF35DFBE67"))).toBe("1051429b-aa66-11ed-b0d2-5cff35dfbe67");
  });

  test("VersionedBytes versions Go does not know (4 and up) are refused with Go's text", () => {
    expect(() => encodeVersionedBytes({ k: "v" }, 4)).toThrow("invalid encoding: unsupported encoding version 4 for data map[k:v]");
    expect(() => decodeVersionedBytes({ version: 7, data: Uint8Array.of(1, 2, 3) })).toThrow("unsupported encoding version 7 for versionedData [1 2 3]");
    expect(() => decodeVersionedBytes(undefined)).toThrow("cannot decode nil versioned bytes");
  });
});

describe("VersionedBytes CBOR is Go's deterministic encoding", () => {
  // Recorded from fxamacker/cbor v2.7.0 (the version chainlink-common v0.11.1 links) with
  // CoreDetEncOptions and TimeRFC3339Nano, chainlink-common's settings for version 2. Go values:
  // ints, float64s, *big.Ints, strings, []byte, map[string]any, time.Time.
  const GO_CBOR: Array<[string, unknown, string]> = [
    ["int 24", 24, "1818"],
    ["int -25", -25, "3818"],
    ["int64 2^53", 2n ** 53n, "1b0020000000000000"],
    ["int64 min", -(2n ** 63n), "3b7fffffffffffffff"],
    ["uint64 max", 2n ** 64n - 1n, "1bffffffffffffffff"],
    ["float64 1.5 (as float16)", 1.5, "f93e00"],
    ["float64 0.1", 0.1, "fb3fb999999999999a"],
    ["float64 1e300", 1e300, "fb7e37e43c8800759c"],
    ["float64 -0", -0, "f98000"],
    ["float64 NaN", NaN, "f97e00"],
    ["float64 +Inf", Infinity, "f97c00"],
    ["float64 -Inf", -Infinity, "f9fc00"],
    ["float64 2^-24 (float16 subnormal)", 5.960464477539063e-8, "f90001"],
    ["float64 max float32", 3.4028234663852886e38, "fa7f7fffff"],
    ["big.Int 2^64", 2n ** 64n, "c249010000000000000000"],
    ["big.Int -(2^64+1)", -(2n ** 64n + 1n), "c349010000000000000000"],
    ["big.Int 5", 5n, "05"],
    ["big.Int -5", -5n, "24"],
    ["big.Int -(2^64)", -(2n ** 64n), "3bffffffffffffffff"],
    ["string", "héllo", "6668c3a96c6c6f"],
    ["bytes", Uint8Array.of(1, 2), "420102"],
    ["empty bytes", new Uint8Array(), "40"],
    [
      "nested map, keys in encoded order",
      { b: 1, a: [1, "x", true, null], aa: { z: 1.5, y: Uint8Array.of(9) }, B: "upper", "": 0 },
      "a560006142657570706572616184016178f5f6616201626161a261794109617af93e00",
    ],
    [
      "long keys",
      { abcdefghijklmnopqrstuvwxyz0: 1, abcdefghijklmnopqrstuvwxy: 2, b: 3 },
      "a361620378196162636465666768696a6b6c6d6e6f7071727374757677787902781b6162636465666768696a6b6c6d6e6f707172737475767778797a3001",
    ],
    ["time as RFC 3339", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600)), "76323032342d30312d30325430333a30343a30352e365a"],
    ["time without fraction", new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), "74323032342d30312d30325430333a30343a30355a"],
  ];

  test.each(GO_CBOR)("%s", (_what, value, goHex) => {
    expect(hex(encodeVersionedBytes(value).data)).toBe(goHex);
  });

  test("a Map orders keys the same way; undefined is null", () => {
    const expected = "a26161f6616201"; // {"a": null, "b": 1}
    expect(hex(encodeVersionedBytes(new Map<unknown, unknown>([["b", 1], ["a", undefined]])).data)).toBe(expected);
    expect(hex(encodeVersionedBytes({ b: 1, a: null }).data)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Over gRPC

function listen(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

const identity = (b: Buffer) => b;

describe("our clients put Go's bytes on the wire and read Go's replies", () => {
  // A server answering each path with Go's reply bytes and recording request bytes.
  const server = new grpc.Server();
  const requests = new Map<string, string[]>();
  let channel: Channel;
  const ltd = vector("LatestTransmissionDetailsReply");
  const glvReply = vector("GetLatestValueReply");
  const obsVector = vector("ParsedAttributedObservation");
  const ocVector = vector("OnchainConfig");

  /** Length-delimited field 1 holding `inner` (how the request wrappers embed the vector's message). */
  const field1 = (inner: string) => {
    const n = inner.length / 2;
    if (n >= 128) throw new Error("field1: one-byte lengths only");
    return `0a${n.toString(16).padStart(2, "0")}${inner}`;
  };

  const replies: Record<string, string> = {
    "/loop.ContractReader/GetLatestValue": glvReply.hex,
    "/codec.Codec/GetDecoding": field1(hex(toBinary(VersionedBytesSchema, create(VersionedBytesSchema, { version: 2, data: Uint8Array.of(0xf6) })))),
    "/loop.MedianContract/LatestTransmissionDetails": ltd.hex,
    "/loop.MedianContract/LatestRoundRequested": hex(
      toBinary(LatestRoundRequestedReplySchema, latestRoundRequested.toWire({ configDigest: unhex(ltd.value.configDigest), epoch: 7, round: 11 })),
    ),
    "/loop.ReportCodec/BuildReport": field1("c0ffee"),
    "/loop.OnchainConfigCodec/Encode": field1("abcd"),
  };

  beforeAll(async () => {
    for (const [path, reply] of Object.entries(replies)) {
      requests.set(path, []);
      server.register(
        path,
        (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          requests.get(path)!.push(hex(call.request));
          cb(null, Buffer.from(reply, "hex"));
        },
        identity,
        identity,
        "unary",
      );
    }
    const port = await listen(server);
    channel = grpcJsChannelOf(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  });

  afterAll(async () => {
    channel?.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  });

  test("ContractReader.GetLatestValue: request and reply as in Go", async () => {
    const reader = new ContractReaderClient(channel);
    const req = vector("GetLatestValueRequest");
    const got = await reader.getLatestValue(req.value.read_identifier, Confidence.Unconfirmed, vector("VersionedBytes cbor params").value.decoded);
    expect(got).toEqual(glvReply.value.ret_val.decoded);
    // The probe a Go median-provider client sends: nil params.
    await reader.getLatestValue("", Confidence.Unconfirmed, null);
    expect(requests.get("/loop.ContractReader/GetLatestValue")).toEqual([req.hex, vector("GetLatestValueRequest probe").hex]);
  });

  test("Codec.GetDecoding: the probe request as in Go", async () => {
    const codec = new CodecClient(channel);
    expect(await codec.decode(new Uint8Array(), "")).toBeNull();
    expect(requests.get("/codec.Codec/GetDecoding")).toEqual([vector("GetDecodingRequest probe").hex]);
  });

  test("MedianContract: Go's reply decoded; lookback sent as Go sends it", async () => {
    const mc = new MedianContractClient(channel);
    const d = await mc.latestTransmissionDetails();
    expect(hex(d.configDigest)).toBe(ltd.value.configDigest);
    expect(d.epoch).toBe(ltd.value.epoch);
    expect(d.round).toBe(ltd.value.round);
    expect(d.latestAnswer).toBe(BigInt(ltd.value.latestAnswer));
    expect(d.latestTimestamp).toEqual({ seconds: BigInt(ltd.value.latestTimestamp.seconds), nanos: ltd.value.latestTimestamp.nanos });
    const lrr = vector("LatestRoundRequestedRequest");
    const r = await mc.latestRoundRequested(BigInt(lrr.value.lookback));
    expect(r).toEqual({ configDigest: unhex(ltd.value.configDigest), epoch: 7, round: 11 });
    expect(requests.get("/loop.MedianContract/LatestRoundRequested")).toEqual([lrr.hex]);
  });

  test("ReportCodec.BuildReport and OnchainConfigCodec.Encode embed Go's message bytes", async () => {
    const rc = new ReportCodecClient(channel);
    const o = obsVector.value;
    const report = await rc.buildReport([
      { timestamp: o.timestamp, value: BigInt(o.value), juelsPerFeeCoin: BigInt(o.julesPerFeeCoin), gasPriceSubunits: BigInt(o.gasPriceSubunits), observer: o.observer },
    ]);
    expect(hex(report)).toBe("c0ffee");
    expect(requests.get("/loop.ReportCodec/BuildReport")).toEqual([field1(obsVector.hex)]);

    const occ = new OnchainConfigCodecClient(channel);
    expect(hex(await occ.encode({ min: BigInt(ocVector.value.min), max: BigInt(ocVector.value.max) }))).toBe("abcd");
    expect(requests.get("/loop.OnchainConfigCodec/Encode")).toEqual([field1(ocVector.hex)]);
  });
});

describe("server adapters end to end", () => {
  const server = new grpc.Server();
  let channel: Channel;
  let badRound = false;
  const digest = Uint8Array.from({ length: 32 }, (_, i) => i);
  const seen: ParsedAttributedObservation[][] = [];

  beforeAll(async () => {
    addServices(grpcJsServerOf(server), [
      reportCodecServer({
        buildReport: (obs) => {
          seen.push(obs);
          return Uint8Array.of(obs.length);
        },
        medianFromReport: async () => -(2n ** 200n),
        maxReportLength: (n) => n * 32,
      }),
      medianContractServer({
        latestTransmissionDetails: () => ({
          configDigest: digest,
          epoch: 9,
          round: badRound ? 256 : 3,
          latestAnswer: 2n ** 64n,
          latestTimestamp: { seconds: 1234567890n, nanos: 5 },
        }),
        latestRoundRequested: (lookbackNs) => ({ configDigest: digest, epoch: Number(lookbackNs / 1_000_000_000n), round: 1 }),
      }),
      onchainConfigCodecServer({
        encode: (c) => encodeVersionedBytes({ min: c.min, max: c.max }).data,
        decode: (b) => {
          const c = decodeVersionedBytes({ version: 2, data: b }) as { min: number | bigint; max: number | bigint };
          return { min: BigInt(c.min), max: BigInt(c.max) };
        },
      }),
      contractReaderServer({
        getLatestValue: (id, confidence, params) => ({ id, confidence, params }),
        getLatestValueWithHeadData: (id, _c, params) => ({ value: { id, params }, head: { height: "42", hash: Uint8Array.of(1, 2), timestamp: 7n } }),
        bind: () => undefined,
      }),
      codecServer({
        encode: (item, itemType) => encodeVersionedBytes({ item, itemType }).data,
        decode: (encoded, itemType) => ({ encoded: hex(encoded), itemType }),
        getMaxEncodingSize: (n) => n + 1,
        getMaxDecodingSize: (n) => n + 2,
      }),
    ]);
    const port = await listen(server);
    channel = grpcJsChannelOf(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  });

  afterAll(async () => {
    channel?.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  });

  test("ReportCodec", async () => {
    const rc = new ReportCodecClient(channel);
    const obs: ParsedAttributedObservation[] = [
      { timestamp: 1, value: -(2n ** 70n), juelsPerFeeCoin: 0n, gasPriceSubunits: 5n, observer: 0 },
      { timestamp: 2 ** 32 - 1, value: 1n, juelsPerFeeCoin: 2n, gasPriceSubunits: 3n, observer: 255 },
    ];
    expect(await rc.buildReport(obs)).toEqual(Uint8Array.of(2));
    expect(seen.at(-1)).toEqual(obs);
    expect(await rc.medianFromReport(new Uint8Array())).toBe(-(2n ** 200n));
    expect(await rc.maxReportLength(31)).toBe(31 * 32);
  });

  test("an out-of-range observer from a peer is UNKNOWN with Go's message", async () => {
    const raw = createClient(ReportCodecService, channel);
    const err = await raw
      .buildReport({ observations: [{ timestamp: 1, value: toBigIntWire(1n), julesPerFeeCoin: toBigIntWire(1n), gasPriceSubunits: toBigIntWire(1n), observer: 256 }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.UNKNOWN);
    expect((err as RpcError).details).toBe("expected uint8 Observer (max 255) but got 256");
  });

  test("MedianContract, and an implementation's out-of-range round", async () => {
    const mc = new MedianContractClient(channel);
    expect(await mc.latestTransmissionDetails()).toEqual({
      configDigest: digest,
      epoch: 9,
      round: 3,
      latestAnswer: 2n ** 64n,
      latestTimestamp: { seconds: 1234567890n, nanos: 5 },
    });
    expect(await mc.latestRoundRequested(64_000_000_000n)).toEqual(latestRoundRequested.fromWire(latestRoundRequested.toWire({ configDigest: digest, epoch: 64, round: 1 })));
    badRound = true;
    try {
      await expect(mc.latestTransmissionDetails()).rejects.toMatchObject({ code: Code.UNKNOWN, details: "expected uint8 Round (max 255) but got 256" });
    } finally {
      badRound = false;
    }
  });

  test("OnchainConfigCodec", async () => {
    const occ = new OnchainConfigCodecClient(channel);
    const encoded = await occ.encode({ min: -12n, max: 2n ** 100n });
    expect(await occ.decode(encoded)).toEqual({ min: -12n, max: 2n ** 100n });
  });

  test("ContractReader: CBOR values both ways, head data, UNIMPLEMENTED for what the impl lacks", async () => {
    const reader = new ContractReaderClient(channel);
    expect(await reader.getLatestValue("0x1-c-m", Confidence.Finalized, { a: [1, "x"], b: 2n ** 70n })).toEqual({
      id: "0x1-c-m",
      confidence: Confidence.Finalized,
      params: { a: [1, "x"], b: 2n ** 70n },
    });
    const withHead = await reader.getLatestValueWithHeadData("id", Confidence.Safe, null);
    expect(withHead.value).toEqual({ id: "id", params: null });
    expect(withHead.head).toEqual({ height: "42", hash: Uint8Array.of(1, 2), timestamp: 7n });
    await reader.bind([{ address: "0xabc", name: "c" }]);
    await expect(reader.queryKey({ address: "0xabc", name: "c" }, { key: "k", expressions: [] }, { sortBy: [], limit: { count: 1n } })).rejects.toMatchObject({
      code: Code.UNIMPLEMENTED,
    });
    await expect(reader.rpc.getLatestValue({ readIdentifier: "x", confidence: 7 as Confidence, params: encodeVersionedBytes(null) })).rejects.toMatchObject({
      code: Code.UNKNOWN,
      details: "invalid pb confidence level: 7",
    });
    await expect(reader.rpc.getLatestValue({ readIdentifier: "x" })).rejects.toMatchObject({
      code: Code.UNKNOWN,
      details: "cannot decode nil versioned bytes",
    });
  });

  test("Codec", async () => {
    const codec = new CodecClient(channel);
    const encoded = await codec.encode({ k: "v" }, "T");
    expect(decodeVersionedBytes({ version: 2, data: encoded })).toEqual({ item: { k: "v" }, itemType: "T" });
    expect(await codec.decode(Uint8Array.of(1, 2), "U")).toEqual({ encoded: "0102", itemType: "U" });
    expect(await codec.getMaxEncodingSize(10, "T")).toBe(11);
    expect(await codec.getMaxDecodingSize(10, "T")).toBe(12);
  });

  test("a provider without a ContractReader answers Go's probe with UNIMPLEMENTED", async () => {
    const bare = new grpc.Server();
    addServices(grpcJsServerOf(bare), [contractReaderServer({})]);
    const port = await listen(bare);
    const ch = grpcJsChannelOf(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
    try {
      await expect(new ContractReaderClient(ch).getLatestValue("", Confidence.Unconfirmed, null)).rejects.toMatchObject({ code: Code.UNIMPLEMENTED });
    } finally {
      ch.close();
      await new Promise<void>((r) => bare.tryShutdown(() => r()));
    }
  });
});
