import type { Channel } from "../../rpc/client.js";
import { ContractConfigTracker as TrackerService, ContractTransmitter as TransmitterService, OffchainConfigDigester as DigesterService } from "../../gen/loop/internal/pb/relayer_pb.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import {
  attributedOnchainSignature,
  contractConfig,
  reportContext,
  type AttributedOnchainSignature,
  type ContractConfig,
  type ReportContext,
} from "../wire/ocr2.js";
import { configDigest } from "../wire/digest.js";
import { uint16 } from "../wire/ranges.js";

/** The OCR2 config/transmit services of every provider connection (`relayer.proto`). */

export interface OffchainConfigDigester {
  configDigest(config: ContractConfig): Promise<Uint8Array>;
  /** A uint16 carried in a uint32 field. */
  configDigestPrefix(): Promise<number>;
}

export interface ContractConfigTracker {
  latestConfigDetails(): Promise<{ changedInBlock: bigint; configDigest: Uint8Array }>;
  latestConfig(changedInBlock: bigint): Promise<ContractConfig>;
  latestBlockHeight(): Promise<bigint>;
}

export interface ContractTransmitter {
  transmit(ctx: ReportContext, report: Uint8Array, signatures: AttributedOnchainSignature[]): Promise<void>;
  latestConfigDigestAndEpoch(): Promise<{ configDigest: Uint8Array; epoch: number }>;
  fromAccount(): Promise<string>;
}

export class OffchainConfigDigesterClient implements OffchainConfigDigester {
  private readonly rpc: ClientOf<typeof DigesterService>;
  constructor(channel: Channel) {
    this.rpc = createClient(DigesterService, channel);
  }
  async configDigest(config: ContractConfig) {
    return configDigest((await this.rpc.configDigest({ contractConfig: contractConfig.toWire(config) })).configDigest);
  }
  async configDigestPrefix() {
    return uint16((await this.rpc.configDigestPrefix({})).configDigestPrefix, "configDigestPrefix");
  }
}

export function offchainConfigDigesterServer(impl: OffchainConfigDigester): ServiceRegistration {
  return service(DigesterService, {
    configDigest: async (r) => ({ configDigest: configDigest(await impl.configDigest(contractConfig.fromWire(r.contractConfig))) }),
    configDigestPrefix: async () => ({ configDigestPrefix: uint16(await impl.configDigestPrefix(), "configDigestPrefix") }),
  });
}

export class ContractConfigTrackerClient implements ContractConfigTracker {
  private readonly rpc: ClientOf<typeof TrackerService>;
  constructor(channel: Channel) {
    this.rpc = createClient(TrackerService, channel);
  }
  async latestConfigDetails() {
    const r = await this.rpc.latestConfigDetails({});
    return { changedInBlock: r.changedInBlock, configDigest: configDigest(r.configDigest) };
  }
  async latestConfig(changedInBlock: bigint) {
    return contractConfig.fromWire((await this.rpc.latestConfig({ changedInBlock })).contractConfig);
  }
  async latestBlockHeight() {
    return (await this.rpc.latestBlockHeight({})).blockHeight;
  }
}

export function contractConfigTrackerServer(impl: ContractConfigTracker): ServiceRegistration {
  return service(TrackerService, {
    latestConfigDetails: async () => {
      const d = await impl.latestConfigDetails();
      return { changedInBlock: d.changedInBlock, configDigest: configDigest(d.configDigest) };
    },
    latestConfig: async (r) => ({ contractConfig: contractConfig.toWire(await impl.latestConfig(r.changedInBlock)) }),
    latestBlockHeight: async () => ({ blockHeight: await impl.latestBlockHeight() }),
  });
}

export class ContractTransmitterClient implements ContractTransmitter {
  private readonly rpc: ClientOf<typeof TransmitterService>;
  constructor(channel: Channel) {
    this.rpc = createClient(TransmitterService, channel);
  }
  async transmit(ctx: ReportContext, report: Uint8Array, signatures: AttributedOnchainSignature[]) {
    await this.rpc.transmit({
      reportContext: reportContext.toWire(ctx),
      report,
      attributedOnchainSignatures: signatures.map(attributedOnchainSignature.toWire),
    });
  }
  async latestConfigDigestAndEpoch() {
    const r = await this.rpc.latestConfigDigestAndEpoch({});
    return { configDigest: configDigest(r.configDigest), epoch: r.epoch };
  }
  async fromAccount() {
    return (await this.rpc.fromAccount({})).Account;
  }
}

export function contractTransmitterServer(impl: ContractTransmitter): ServiceRegistration {
  return service(TransmitterService, {
    transmit: async (r) => {
      await impl.transmit(reportContext.fromWire(r.reportContext), r.report, r.attributedOnchainSignatures.map(attributedOnchainSignature.fromWire));
      return {};
    },
    latestConfigDigestAndEpoch: async () => {
      const d = await impl.latestConfigDigestAndEpoch();
      return { configDigest: configDigest(d.configDigest), epoch: d.epoch };
    },
    fromAccount: async () => ({ Account: await impl.fromAccount() }),
  });
}
