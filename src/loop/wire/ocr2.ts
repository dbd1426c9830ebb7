import { create } from "@bufbuild/protobuf";
import {
  AttributedOnchainSignatureSchema,
  ContractConfigSchema,
  ReportContextSchema,
  ReportTimestampSchema,
  type AttributedOnchainSignature as AttributedOnchainSignatureWire,
  type ContractConfig as ContractConfigWire,
  type ReportContext as ReportContextWire,
  type ReportTimestamp as ReportTimestampWire,
} from "../../gen/loop/internal/pb/relayer_pb.js";
import {
  AttributedObservationSchema,
  ReportingPluginConfigSchema,
  type AttributedObservation as AttributedObservationWire,
  type ReportingPluginConfig as ReportingPluginConfigWire,
  type ReportingPluginInfo as ReportingPluginInfoWire,
} from "../../gen/loop/internal/pb/reporting_pb.js";
import { configDigest } from "./digest.js";
import { uint8 } from "./ranges.js";

/** libocr's OCR2 types as TypeScript values, with their wire conversions. */

export interface ReportTimestamp {
  configDigest: Uint8Array;
  epoch: number;
  /** uint8 */
  round: number;
}

export const reportTimestamp = {
  toWire: (t: ReportTimestamp): ReportTimestampWire =>
    create(ReportTimestampSchema, { configDigest: configDigest(t.configDigest), epoch: t.epoch, round: uint8(t.round, "round") }),
  fromWire: (m: ReportTimestampWire | undefined): ReportTimestamp => {
    if (!m) throw new RangeError("reportTimestamp: missing");
    return { configDigest: configDigest(m.configDigest), epoch: m.epoch, round: uint8(m.round, "round") };
  },
};

export interface ContractConfig {
  configDigest: Uint8Array;
  configCount: bigint;
  signers: Uint8Array[];
  transmitters: string[];
  /** uint8 */
  f: number;
  onchainConfig: Uint8Array;
  offchainConfigVersion: bigint;
  offchainConfig: Uint8Array;
}

export const contractConfig = {
  toWire: (c: ContractConfig): ContractConfigWire =>
    create(ContractConfigSchema, {
      configDigest: configDigest(c.configDigest),
      configCount: c.configCount,
      signers: c.signers,
      transmitters: c.transmitters,
      F: uint8(c.f, "F"),
      onchainConfig: c.onchainConfig,
      offchainConfigVersion: c.offchainConfigVersion,
      offchainConfig: c.offchainConfig,
    }),
  fromWire: (m: ContractConfigWire | undefined): ContractConfig => {
    if (!m) throw new RangeError("contractConfig: missing");
    return {
      configDigest: configDigest(m.configDigest),
      configCount: m.configCount,
      signers: m.signers,
      transmitters: m.transmitters,
      f: uint8(m.F, "F"),
      onchainConfig: m.onchainConfig,
      offchainConfigVersion: m.offchainConfigVersion,
      offchainConfig: m.offchainConfig,
    };
  },
};

export interface ReportContext {
  reportTimestamp: ReportTimestamp;
  /** 32 bytes */
  extraHash: Uint8Array;
}

export const reportContext = {
  toWire: (c: ReportContext): ReportContextWire =>
    create(ReportContextSchema, { reportTimestamp: reportTimestamp.toWire(c.reportTimestamp), extraHash: configDigest(c.extraHash, "extraHash") }),
  fromWire: (m: ReportContextWire | undefined): ReportContext => {
    if (!m) throw new RangeError("reportContext: missing");
    return { reportTimestamp: reportTimestamp.fromWire(m.reportTimestamp), extraHash: configDigest(m.extraHash, "extraHash") };
  },
};

export interface AttributedOnchainSignature {
  signature: Uint8Array;
  /** uint8 oracle id */
  signer: number;
}

export const attributedOnchainSignature = {
  toWire: (s: AttributedOnchainSignature): AttributedOnchainSignatureWire =>
    create(AttributedOnchainSignatureSchema, { signature: s.signature, signer: uint8(s.signer, "signer") }),
  fromWire: (m: AttributedOnchainSignatureWire): AttributedOnchainSignature => ({ signature: m.signature, signer: uint8(m.signer, "signer") }),
};

export interface AttributedObservation {
  observation: Uint8Array;
  /** uint8 oracle id */
  observer: number;
}

export const attributedObservation = {
  toWire: (o: AttributedObservation): AttributedObservationWire =>
    create(AttributedObservationSchema, { observation: o.observation, observer: uint8(o.observer, "observer") }),
  fromWire: (m: AttributedObservationWire): AttributedObservation => ({ observation: m.observation, observer: uint8(m.observer, "observer") }),
};

/** libocr's ReportingPluginConfig; durations in nanoseconds, as on the wire. */
export interface ReportingPluginConfig {
  configDigest: Uint8Array;
  /** uint8 values carried in uint32 fields */
  oracleId: number;
  n: number;
  f: number;
  onchainConfig: Uint8Array;
  offchainConfig: Uint8Array;
  estimatedRoundIntervalNs: bigint;
  maxDurationQueryNs: bigint;
  maxDurationObservationNs: bigint;
  maxDurationReportNs: bigint;
  maxDurationShouldAcceptFinalizedReportNs: bigint;
  maxDurationShouldTransmitAcceptedReportNs: bigint;
}

export const reportingPluginConfig = {
  toWire: (c: ReportingPluginConfig): ReportingPluginConfigWire =>
    create(ReportingPluginConfigSchema, {
      configDigest: configDigest(c.configDigest),
      oracleID: uint8(c.oracleId, "oracleID"),
      n: uint8(c.n, "n"),
      f: uint8(c.f, "f"),
      onchainConfig: c.onchainConfig,
      offchainConfig: c.offchainConfig,
      estimatedRoundInterval: c.estimatedRoundIntervalNs,
      maxDurationQuery: c.maxDurationQueryNs,
      maxDurationObservation: c.maxDurationObservationNs,
      maxDurationReport: c.maxDurationReportNs,
      maxDurationShouldAcceptFinalizedReport: c.maxDurationShouldAcceptFinalizedReportNs,
      maxDurationShouldTransmitAcceptedReport: c.maxDurationShouldTransmitAcceptedReportNs,
    }),
  fromWire: (m: ReportingPluginConfigWire | undefined): ReportingPluginConfig => {
    if (!m) throw new RangeError("reportingPluginConfig: missing");
    return {
      configDigest: configDigest(m.configDigest),
      oracleId: uint8(m.oracleID, "oracleID"),
      n: uint8(m.n, "n"),
      f: uint8(m.f, "f"),
      onchainConfig: m.onchainConfig,
      offchainConfig: m.offchainConfig,
      estimatedRoundIntervalNs: m.estimatedRoundInterval,
      maxDurationQueryNs: m.maxDurationQuery,
      maxDurationObservationNs: m.maxDurationObservation,
      maxDurationReportNs: m.maxDurationReport,
      maxDurationShouldAcceptFinalizedReportNs: m.maxDurationShouldAcceptFinalizedReport,
      maxDurationShouldTransmitAcceptedReportNs: m.maxDurationShouldTransmitAcceptedReport,
    };
  },
};

export interface ReportingPluginInfo {
  name: string;
  uniqueReports: boolean;
  limits: { maxQueryLength: bigint; maxObservationLength: bigint; maxReportLength: bigint };
}

export const reportingPluginInfo = {
  fromWire: (m: ReportingPluginInfoWire | undefined): ReportingPluginInfo => ({
    name: m?.name ?? "",
    uniqueReports: m?.uniqueReports ?? false,
    limits: {
      maxQueryLength: m?.reportingPluginLimits?.maxQueryLength ?? 0n,
      maxObservationLength: m?.reportingPluginLimits?.maxObservationLength ?? 0n,
      maxReportLength: m?.reportingPluginLimits?.maxReportLength ?? 0n,
    },
  }),
  toWire: (i: ReportingPluginInfo) => ({ name: i.name, uniqueReports: i.uniqueReports, reportingPluginLimits: i.limits }),
};
