import type { Channel } from "../../rpc/client.js";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  LatestRoundRequestedReplySchema,
  LatestTransmissionDetailsReplySchema,
  MedianContract as MedianContractService,
  OnchainConfigCodec as OnchainConfigCodecService,
  OnchainConfigSchema,
  ParsedAttributedObservationSchema,
  ReportCodec as ReportCodecService,
  type LatestRoundRequestedReply as LatestRoundRequestedReplyWire,
  type LatestTransmissionDetailsReply as LatestTransmissionDetailsReplyWire,
  type OnchainConfig as OnchainConfigWire,
  type ParsedAttributedObservation as ParsedAttributedObservationWire,
} from "../../gen/loop/internal/pb/median_pb.js";
import { BigIntSchema, type BigInt as BigIntMsg } from "../../gen/loop/internal/pb/relayer_pb.js";
import { createClient, service, type CallOptions, type ClientOf, type ServiceRegistration } from "../../rpc/index.js";
import { configDigest, goConfigDigest } from "../wire/digest.js";
import { goUint8, int64, safeInt, uint32 } from "../wire/ranges.js";
import { fromBigIntWire, toBigIntWire } from "../wire/bigint.js";

/**
 * The median-specific parts of a median provider — `loop.ReportCodec`,
 * `loop.MedianContract` and `loop.OnchainConfigCodec` — as TypeScript
 * interfaces, each with a typed client over a gRPC channel and a server
 * adapter. Validation failures are RangeErrors; a server adapter's exception
 * reaches the caller as UNKNOWN with its message, which is how a Go server's
 * plain error looks on the wire. Where the Go adapters of chainlink-common
 * reject a value, the message text is the Go one.
 */

type Awaitable<T> = T | Promise<T>;

function bigIntMsg(v: bigint, field: string): BigIntMsg {
  if (typeof v !== "bigint") throw new RangeError(`${field}: expected a bigint, got ${typeof v}`);
  return create(BigIntSchema, toBigIntWire(v));
}

/** A present `loop.BigInt` as a bigint; Go would hand its callee a nil *big.Int, which we refuse. */
function requireBigInt(m: BigIntMsg | undefined, field: string): bigint {
  const v = fromBigIntWire(m);
  if (v === undefined) throw new RangeError(`${field}: missing`);
  return v;
}

// ---------------------------------------------------------------------------
// loop.ReportCodec

/** libocr median's ParsedAttributedObservation. */
export interface ParsedAttributedObservation {
  /** uint32 seconds */
  timestamp: number;
  value: bigint;
  juelsPerFeeCoin: bigint;
  gasPriceSubunits: bigint;
  /** uint8 oracle id */
  observer: number;
}

export const parsedAttributedObservation = {
  toWire: (o: ParsedAttributedObservation): ParsedAttributedObservationWire =>
    create(ParsedAttributedObservationSchema, {
      timestamp: uint32(o.timestamp, "timestamp"),
      value: bigIntMsg(o.value, "value"),
      julesPerFeeCoin: bigIntMsg(o.juelsPerFeeCoin, "juelsPerFeeCoin"),
      observer: goUint8(o.observer, "Observer"),
      gasPriceSubunits: bigIntMsg(o.gasPriceSubunits, "gasPriceSubunits"),
    }),
  fromWire: (m: ParsedAttributedObservationWire): ParsedAttributedObservation => ({
    timestamp: m.timestamp,
    value: requireBigInt(m.value, "value"),
    juelsPerFeeCoin: requireBigInt(m.julesPerFeeCoin, "julesPerFeeCoin"),
    gasPriceSubunits: requireBigInt(m.gasPriceSubunits, "gasPriceSubunits"),
    observer: goUint8(m.observer, "Observer"),
  }),
};

/** libocr median's ReportCodec, served by a median provider. */
export interface ReportCodec {
  buildReport(observations: ParsedAttributedObservation[]): Awaitable<Uint8Array>;
  medianFromReport(report: Uint8Array): Awaitable<bigint>;
  /** The largest report built from `n` observations. */
  maxReportLength(n: number): Awaitable<number>;
}

export class ReportCodecClient implements ReportCodec {
  private readonly rpc: ClientOf<typeof ReportCodecService>;

  constructor(channel: Channel) {
    this.rpc = createClient(ReportCodecService, channel);
  }

  async buildReport(observations: ParsedAttributedObservation[], opts?: CallOptions): Promise<Uint8Array> {
    const reply = await this.rpc.buildReport({ observations: observations.map(parsedAttributedObservation.toWire) }, opts);
    return reply.report;
  }

  async medianFromReport(report: Uint8Array, opts?: CallOptions): Promise<bigint> {
    const reply = await this.rpc.medianFromReport({ report }, opts);
    return requireBigInt(reply.median, "median");
  }

  async maxReportLength(n: number, opts?: CallOptions): Promise<number> {
    if (!Number.isSafeInteger(n)) throw new RangeError(`n: ${n} is not an integer`);
    const reply = await this.rpc.maxReportLength({ n: BigInt(n) }, opts);
    return safeInt(reply.max, "max");
  }
}

export function reportCodecServer(impl: ReportCodec): ServiceRegistration {
  return service(ReportCodecService, {
    async buildReport(req) {
      const observations = req.observations.map(parsedAttributedObservation.fromWire);
      return { report: await impl.buildReport(observations) };
    },
    async medianFromReport(req) {
      return { median: bigIntMsg(await impl.medianFromReport(req.report), "median") };
    },
    async maxReportLength(req) {
      const max = await impl.maxReportLength(safeInt(req.n, "n"));
      if (!Number.isSafeInteger(max)) throw new RangeError(`max: ${max} is not an integer`);
      return { max: BigInt(max) };
    },
  });
}

// ---------------------------------------------------------------------------
// loop.MedianContract

export interface MedianTimestamp {
  seconds: bigint;
  /** 0..999_999_999 */
  nanos: number;
}

export interface LatestTransmissionDetails {
  configDigest: Uint8Array;
  epoch: number;
  /** uint8 */
  round: number;
  latestAnswer: bigint;
  latestTimestamp: MedianTimestamp;
}

export interface LatestRoundRequested {
  configDigest: Uint8Array;
  epoch: number;
  /** uint8 */
  round: number;
}

function timestampToWire(t: MedianTimestamp): Timestamp {
  if (!Number.isInteger(t.nanos) || t.nanos < 0 || t.nanos > 999_999_999) {
    throw new RangeError(`latestTimestamp.nanos: ${t.nanos} is not in 0..999999999`);
  }
  return create(TimestampSchema, { seconds: int64(t.seconds, "latestTimestamp.seconds"), nanos: t.nanos });
}

export const latestTransmissionDetails = {
  toWire: (d: LatestTransmissionDetails): LatestTransmissionDetailsReplyWire =>
    create(LatestTransmissionDetailsReplySchema, {
      configDigest: configDigest(d.configDigest),
      epoch: uint32(d.epoch, "epoch"),
      round: goUint8(d.round, "Round"),
      latestAnswer: bigIntMsg(d.latestAnswer, "latestAnswer"),
      latestTimestamp: timestampToWire(d.latestTimestamp),
    }),
  /** Checks as Go's client does; a missing timestamp is the Unix epoch, as Go's AsTime makes it. */
  fromWire: (m: LatestTransmissionDetailsReplyWire): LatestTransmissionDetails => ({
    configDigest: goConfigDigest(m.configDigest),
    epoch: m.epoch,
    round: goUint8(m.round, "Round"),
    latestAnswer: requireBigInt(m.latestAnswer, "latestAnswer"),
    latestTimestamp: { seconds: m.latestTimestamp?.seconds ?? 0n, nanos: m.latestTimestamp?.nanos ?? 0 },
  }),
};

export const latestRoundRequested = {
  toWire: (r: LatestRoundRequested): LatestRoundRequestedReplyWire =>
    create(LatestRoundRequestedReplySchema, {
      configDigest: configDigest(r.configDigest),
      epoch: uint32(r.epoch, "epoch"),
      round: goUint8(r.round, "Round"),
    }),
  fromWire: (m: LatestRoundRequestedReplyWire): LatestRoundRequested => ({
    configDigest: goConfigDigest(m.configDigest),
    epoch: m.epoch,
    round: goUint8(m.round, "Round"),
  }),
};

/** libocr median's MedianContract, served by a median provider. */
export interface MedianContract {
  latestTransmissionDetails(): Awaitable<LatestTransmissionDetails>;
  /** `lookbackNs`: a Go time.Duration in nanoseconds. */
  latestRoundRequested(lookbackNs: bigint): Awaitable<LatestRoundRequested>;
}

export class MedianContractClient implements MedianContract {
  private readonly rpc: ClientOf<typeof MedianContractService>;

  constructor(channel: Channel) {
    this.rpc = createClient(MedianContractService, channel);
  }

  async latestTransmissionDetails(opts?: CallOptions): Promise<LatestTransmissionDetails> {
    return latestTransmissionDetails.fromWire(await this.rpc.latestTransmissionDetails({}, opts));
  }

  async latestRoundRequested(lookbackNs: bigint, opts?: CallOptions): Promise<LatestRoundRequested> {
    const reply = await this.rpc.latestRoundRequested({ lookback: int64(lookbackNs, "lookback") }, opts);
    return latestRoundRequested.fromWire(reply);
  }
}

export function medianContractServer(impl: MedianContract): ServiceRegistration {
  return service(MedianContractService, {
    async latestTransmissionDetails() {
      return latestTransmissionDetails.toWire(await impl.latestTransmissionDetails());
    },
    async latestRoundRequested(req) {
      return latestRoundRequested.toWire(await impl.latestRoundRequested(req.lookback));
    },
  });
}

// ---------------------------------------------------------------------------
// loop.OnchainConfigCodec

/** libocr median's OnchainConfig. */
export interface OnchainConfig {
  min: bigint;
  max: bigint;
}

export const onchainConfig = {
  toWire: (c: OnchainConfig): OnchainConfigWire =>
    create(OnchainConfigSchema, { min: bigIntMsg(c.min, "min"), max: bigIntMsg(c.max, "max") }),
  fromWire: (m: OnchainConfigWire | undefined): OnchainConfig => {
    if (!m) throw new RangeError("onchainConfig: missing");
    return { min: requireBigInt(m.min, "min"), max: requireBigInt(m.max, "max") };
  },
};

export interface OnchainConfigCodec {
  encode(config: OnchainConfig): Awaitable<Uint8Array>;
  decode(encoded: Uint8Array): Awaitable<OnchainConfig>;
}

export class OnchainConfigCodecClient implements OnchainConfigCodec {
  private readonly rpc: ClientOf<typeof OnchainConfigCodecService>;

  constructor(channel: Channel) {
    this.rpc = createClient(OnchainConfigCodecService, channel);
  }

  async encode(config: OnchainConfig, opts?: CallOptions): Promise<Uint8Array> {
    return (await this.rpc.encode({ onchainConfig: onchainConfig.toWire(config) }, opts)).encoded;
  }

  async decode(encoded: Uint8Array, opts?: CallOptions): Promise<OnchainConfig> {
    return onchainConfig.fromWire((await this.rpc.decode({ encoded }, opts)).onchainConfig);
  }
}

export function onchainConfigCodecServer(impl: OnchainConfigCodec): ServiceRegistration {
  return service(OnchainConfigCodecService, {
    async encode(req) {
      return { encoded: await impl.encode(onchainConfig.fromWire(req.onchainConfig)) };
    },
    async decode(req) {
      return { onchainConfig: onchainConfig.toWire(await impl.decode(req.encoded)) };
    },
  });
}
