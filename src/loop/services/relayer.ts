import type { Channel } from "../../rpc/client.js";
import type { JsonObject } from "@bufbuild/protobuf";
import {
  PluginRelayer as PluginRelayerService,
  Relayer as RelayerService,
  type CCIPProviderArgs as CCIPProviderArgsPb,
} from "../../gen/loop/internal/pb/relayer_pb.js";
import type { Head } from "../../gen/loop/internal/pb/contract_reader_pb.js";
import type { Broker } from "../../broker/broker.js";
import { createClient, type CallOptions, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import { Code, RpcError } from "../../rpc/status.js";
import { KeystoreClient } from "./keystore.js";
import { CapabilitiesRegistryClient } from "./capabilities-registry.js";
import { loopServiceServer, type LoopService } from "./service.js";
import { serveNew } from "./serve-new.js";
import { contractReaderServer, type ContractReader } from "./contract-reader.js";
import { contractWriterServer, type ContractWriter } from "./contract-writer.js";
import { contractConfigTrackerServer, offchainConfigDigesterServer, type ContractConfigTracker, type OffchainConfigDigester } from "./provider.js";
import { fromBigIntWire, toBigIntWire } from "../wire/bigint.js";
import { jobIdFromUuid, uuidFromJobId } from "../wire/job-id.js";
import { uint8 } from "../wire/ranges.js";

/** What a job asks of a relayer: `loop.RelayArgs`, with the job id as a UUID. */
export interface RelayArgs {
  externalJobId: string;
  jobId: number;
  contractId: string;
  new: boolean;
  relayConfig: Uint8Array;
  /** e.g. "median", "plugin", "mercury" */
  providerType: string;
}

export interface PluginArgs {
  transmitterId: string;
  pluginConfig: Uint8Array;
}

export const relayArgs = {
  toWire: (a: RelayArgs) => ({
    externalJobID: jobIdFromUuid(a.externalJobId),
    jobID: a.jobId,
    contractID: a.contractId,
    new: a.new,
    relayConfig: a.relayConfig,
    providerType: a.providerType,
  }),
  fromWire: (m: { externalJobID: Uint8Array; jobID: number; contractID: string; new: boolean; relayConfig: Uint8Array; providerType: string } | undefined): RelayArgs => {
    if (!m) throw new RangeError("relayArgs: missing");
    return { externalJobId: uuidFromJobId(m.externalJobID), jobId: m.jobID, contractId: m.contractID, new: m.new, relayConfig: m.relayConfig, providerType: m.providerType };
  },
};
export const pluginArgs = {
  toWire: (a: PluginArgs) => ({ transmitterID: a.transmitterId, pluginConfig: a.pluginConfig }),
  fromWire: (m: { transmitterID: string; pluginConfig: Uint8Array } | undefined): PluginArgs => ({ transmitterId: m?.transmitterID ?? "", pluginConfig: m?.pluginConfig ?? new Uint8Array() }),
};

/**
 * What a CCIP job asks of a relayer: Go's `types.CCIPProviderArgs`, with the
 * job id as a UUID. The ExtraDataCodecBundle the host serves travels as a
 * broker id; the server side hands the relayer the dialed connection instead.
 */
export interface CCIPProviderArgs {
  externalJobId: string;
  contractReaderConfig: Uint8Array;
  chainWriterConfig: Uint8Array;
  offRampAddress: Uint8Array;
  /** Go's ccipocr3.PluginType, a uint8 */
  pluginType: number;
  transmitterAddress: string;
  /** contract name → address the host asks the new provider to sync */
  syncedAddresses: Record<string, Uint8Array>;
}

export const ccipProviderArgs = {
  toWire: (a: CCIPProviderArgs, extraDataCodecBundleId = 0) => ({
    externalJobID: jobIdFromUuid(a.externalJobId),
    contractReaderConfig: a.contractReaderConfig,
    chainWriterConfig: a.chainWriterConfig,
    offRampAddress: a.offRampAddress,
    pluginType: uint8(a.pluginType, "pluginType"),
    transmitterAddress: a.transmitterAddress,
    syncedAddresses: a.syncedAddresses,
    extraDataCodecBundleID: extraDataCodecBundleId,
  }),
  /** As Go's server converts: the job id must be 16 bytes; the plugin type keeps its low byte (Go's uint8 conversion). */
  fromWire: (m: CCIPProviderArgsPb | undefined): CCIPProviderArgs => {
    const n = m?.externalJobID.length ?? 0;
    if (!m || n !== 16) throw new Error(`invalid uuid bytes for ExternalJobID: invalid UUID (got ${n} bytes)`);
    return {
      externalJobId: uuidFromJobId(m.externalJobID),
      contractReaderConfig: m.contractReaderConfig,
      chainWriterConfig: m.chainWriterConfig,
      offRampAddress: m.offRampAddress,
      pluginType: m.pluginType & 0xff,
      transmitterAddress: m.transmitterAddress,
      syncedAddresses: { ...m.syncedAddresses },
    };
  },
};

export interface ChainStatus {
  id: string;
  enabled: boolean;
  config: string;
}
export interface ChainInfo {
  familyName: string;
  chainId: string;
  networkName: string;
  networkNameFull: string;
}
export interface NodeStatus {
  chainId: string;
  name: string;
  config: string;
  state: string;
}

/** The chain-facing half of `loop.Relayer` (provider factories return broker ids). */
export interface RelayerApi {
  getChainStatus(): Promise<ChainStatus>;
  getChainInfo(): Promise<ChainInfo>;
  listNodeStatuses(pageSize: number, pageToken: string): Promise<{ nodes: NodeStatus[]; total: number; nextPageToken: string }>;
  transact(from: string, to: string, amount: bigint, balanceCheck: boolean): Promise<void>;
  replay(fromBlock: string, args: JsonObject): Promise<void>;
  latestHead(): Promise<Head | undefined>;
  finalizedHead(): Promise<Head | undefined>;
}

/** Client of `loop.Relayer` on a dialed relayer connection. */
export class RelayerClient implements RelayerApi {
  readonly rpc: ClientOf<typeof RelayerService>;
  constructor(readonly channel: Channel) {
    this.rpc = createClient(RelayerService, channel);
  }
  async getChainStatus(opts?: CallOptions): Promise<ChainStatus> {
    const c = (await this.rpc.getChainStatus({}, opts)).chain;
    return { id: c?.id ?? "", enabled: c?.enabled ?? false, config: c?.config ?? "" };
  }
  async getChainInfo(opts?: CallOptions): Promise<ChainInfo> {
    const c = (await this.rpc.getChainInfo({}, opts)).chainInfo;
    return { familyName: c?.familyName ?? "", chainId: c?.chainId ?? "", networkName: c?.networkName ?? "", networkNameFull: c?.networkNameFull ?? "" };
  }
  async listNodeStatuses(pageSize: number, pageToken = "", opts?: CallOptions) {
    const r = await this.rpc.listNodeStatuses({ pageSize, pageToken }, opts);
    return { nodes: r.nodes.map((n) => ({ chainId: n.chainID, name: n.name, config: n.config, state: n.state })), total: r.total, nextPageToken: r.nextPageToken };
  }
  async transact(from: string, to: string, amount: bigint, balanceCheck: boolean, opts?: CallOptions) {
    await this.rpc.transact({ from, to, amount: toBigIntWire(amount), balanceCheck }, opts);
  }
  async replay(fromBlock: string, args: JsonObject, opts?: CallOptions) {
    await this.rpc.replay({ fromBlock, args }, opts);
  }
  async latestHead(opts?: CallOptions) {
    return (await this.rpc.latestHead({}, opts)).head;
  }
  async finalizedHead() {
    return (await this.rpc.finalizedHead({})).head;
  }
  /** Broker id of a new plugin provider (e.g. providerType "median"). */
  async newPluginProvider(relay: RelayArgs, plugin: PluginArgs, opts?: CallOptions): Promise<number> {
    return (await this.rpc.newPluginProvider({ relayArgs: relayArgs.toWire(relay), pluginArgs: pluginArgs.toWire(plugin) }, opts)).pluginProviderID;
  }
  async newConfigProvider(relay: RelayArgs, opts?: CallOptions): Promise<number> {
    return (await this.rpc.newConfigProvider({ relayArgs: relayArgs.toWire(relay) }, opts)).configProviderID;
  }
  async newContractReader(config: Uint8Array, opts?: CallOptions): Promise<number> {
    return (await this.rpc.newContractReader({ contractReaderConfig: config }, opts)).contractReaderID;
  }
  async newContractWriter(config: Uint8Array, opts?: CallOptions): Promise<number> {
    return (await this.rpc.newContractWriter({ contractWriterConfig: config }, opts)).contractWriterID;
  }
  /** Broker id of a new CCIP provider; `extraDataCodecBundleId`: where the caller serves its ExtraDataCodecBundle (0: none). */
  async newCCIPProvider(args: CCIPProviderArgs, extraDataCodecBundleId = 0, opts?: CallOptions): Promise<number> {
    return (await this.rpc.newCCIPProvider({ ccipProviderArgs: ccipProviderArgs.toWire(args, extraDataCodecBundleId) }, opts)).ccipProviderID;
  }
}

/** What NewConfigProvider serves: the OCR2 config services and `loop.Service` (Go's RegisterConfigProviderServices). */
export interface ConfigProviderImpl extends LoopService {
  offchainConfigDigester: OffchainConfigDigester;
  contractConfigTracker: ContractConfigTracker;
}

/**
 * What NewCCIPProvider hands a TS relayer: the arguments and, when the host
 * serves one, the dialed ExtraDataCodecBundle connection (closed by the server
 * once the call ends).
 */
export interface CCIPProviderRequest extends CCIPProviderArgs {
  extraDataCodecBundle?: Channel;
}

type ProviderFactory = (relay: RelayArgs, plugin: PluginArgs) => Promise<Iterable<ServiceRegistration>>;

/**
 * A relayer implemented in TypeScript. Chain readers, writers and config
 * providers are typed; a plugin provider factory names the services to serve
 * (for "median", the median provider's services; see MEDIAN_PROVIDER_SERVICES).
 * What the impl lacks answers as Go's relayer server does for a relayer
 * without it.
 */
export interface RelayerImpl extends Partial<RelayerApi>, LoopService {
  newConfigProvider?(relay: RelayArgs): Promise<ConfigProviderImpl>;
  newContractReader?(config: Uint8Array): Promise<Partial<ContractReader> & LoopService>;
  newContractWriter?(config: Uint8Array): Promise<ContractWriter & LoopService>;
  /** providerType "plugin" (and, for relayers that predate newMedianProvider, "median"). */
  newPluginProvider?: ProviderFactory;
  newMedianProvider?: ProviderFactory;
  newMercuryProvider?: ProviderFactory;
  newOCR3CapabilityProvider?: ProviderFactory;
  newCommitProvider?: ProviderFactory;
  newExecutionProvider?: ProviderFactory;
  /**
   * NewCCIPProvider. Serving a CCIP provider (chainlink-common's ccipocr3
   * services: ChainAccessor, the CCIP codecs, …) is not in this library, so a
   * TS relayer can only refuse, with its own error, which the caller receives
   * as Go's relayer server sends it. Without this method the call answers as
   * Go's types.UnimplementedRelayer does.
   */
  newCCIPProvider?(args: CCIPProviderRequest): Promise<never>;
}

/** Go's types.UnimplementedRelayer text for the method (Go's name: NewCCIPProvider for newCCIPProvider). */
const unimplemented = (m: string) => new RpcError(Code.UNIMPLEMENTED, `method ${m[0].toUpperCase()}${m.slice(1)} not implemented`);

/** Go's uuid.FromBytes check, with the relayer server's wrapping. */
function relayArgsChecked(m: Parameters<typeof relayArgs.fromWire>[0]): RelayArgs {
  const n = m?.externalJobID.length ?? 0;
  if (n !== 16) throw new Error(`invalid uuid bytes for ExternalJobID: invalid UUID (got ${n} bytes)`);
  return relayArgs.fromWire(m);
}

export function relayerServer(impl: RelayerImpl, broker: Broker): ServiceRegistration {
  const need = <K extends keyof RelayerImpl>(k: K): NonNullable<RelayerImpl[K]> => {
    const f = impl[k];
    if (!f) throw unimplemented(String(k));
    return (f as (...a: never[]) => unknown).bind(impl) as NonNullable<RelayerImpl[K]>;
  };
  const typeName = impl.constructor?.name && impl.constructor !== Object ? impl.constructor.name : "relayer";
  /** Go's NewPluginProvider dispatch: each provider type needs its factory, else Go's text. */
  const providerFactory = (type: string): ProviderFactory => {
    const pick = (f: ProviderFactory | undefined, missing: string) => {
      if (!f) throw new RpcError(Code.UNIMPLEMENTED, missing);
      return f.bind(impl);
    };
    switch (type) {
      case "median":
        return pick(impl.newMedianProvider ?? impl.newPluginProvider, "median not supported");
      case "plugin":
        return pick(impl.newPluginProvider, "method NewPluginProvider not implemented");
      case "mercury":
        return pick(impl.newMercuryProvider, `mercury not supported by ${typeName}`);
      case "ccip-commit":
        return pick(impl.newCommitProvider, `ccip execution not supported by ${typeName}`);
      case "ccip-execution":
        return pick(impl.newExecutionProvider, `ccip execution not supported by ${typeName}`);
      case "ocr3-capability":
        // Go's text for this case says "median" too.
        return pick(impl.newOCR3CapabilityProvider, "median not supported");
      default:
        throw new Error(`provider type not supported: ${type}`);
    }
  };
  return service(RelayerService, {
    getChainStatus: async () => ({ chain: await need("getChainStatus")() }),
    getChainInfo: async () => ({ chainInfo: await need("getChainInfo")() }),
    listNodeStatuses: async (r) => {
      const res = await need("listNodeStatuses")(r.pageSize, r.pageToken);
      return { nodes: res.nodes.map((n) => ({ chainID: n.chainId, name: n.name, config: n.config, state: n.state })), total: res.total, nextPageToken: res.nextPageToken };
    },
    transact: async (r) => {
      await need("transact")(r.from, r.to, fromBigIntWire(r.amount) ?? 0n, r.balanceCheck);
      return {};
    },
    replay: async (r) => {
      await need("replay")(r.fromBlock, r.args ?? {});
      return {};
    },
    latestHead: async () => ({ head: await need("latestHead")() }),
    finalizedHead: async () => ({ head: await need("finalizedHead")() }),
    newPluginProvider: async (r) => {
      const relay = relayArgsChecked(r.relayArgs);
      const services = await providerFactory(relay.providerType)(relay, pluginArgs.fromWire(r.pluginArgs));
      return { pluginProviderID: await serveNew(broker, services) };
    },
    newConfigProvider: async (r) => {
      const relay = relayArgsChecked(r.relayArgs);
      const cp = await need("newConfigProvider")(relay);
      const id = await serveNew(broker, [loopServiceServer(cp), offchainConfigDigesterServer(cp.offchainConfigDigester), contractConfigTrackerServer(cp.contractConfigTracker)], cp);
      return { configProviderID: id };
    },
    newContractReader: async (r) => {
      const cr = await need("newContractReader")(r.contractReaderConfig);
      return { contractReaderID: await serveNew(broker, [loopServiceServer(cr), contractReaderServer(cr)], cr) };
    },
    newContractWriter: async (r) => {
      const cw = await need("newContractWriter")(r.contractWriterConfig);
      return { contractWriterID: await serveNew(broker, [loopServiceServer(cw), contractWriterServer(cw)], cw) };
    },
    // Go's order: the job id, then the bundle's dial, then the relayer; the dialed bundle is closed on every way out.
    newCCIPProvider: async (r) => {
      const args = ccipProviderArgs.fromWire(r.ccipProviderArgs);
      const bundleId = r.ccipProviderArgs!.extraDataCodecBundleID;
      let bundle: Channel | undefined;
      if (bundleId !== 0) {
        try {
          bundle = await broker.dial(bundleId);
        } catch (e) {
          throw new Error(`failed to dial ExtraDataCodecBundle client connection ${bundleId}: ${(e as Error).message}`);
        }
      }
      try {
        await need("newCCIPProvider")({ ...args, ...(bundle ? { extraDataCodecBundle: bundle } : {}) });
        // Reached only by an untyped relayer that resolved: there is no provider to serve.
        throw new RpcError(Code.UNIMPLEMENTED, "NewCCIPProvider: serving a CCIP provider is not supported by go-plugin-ts");
      } finally {
        bundle?.close();
      }
    },
  });
}

/** Client of `loop.PluginRelayer` on a relayer plugin's main connection. */
export class PluginRelayerClient {
  private readonly rpc: ClientOf<typeof PluginRelayerService>;
  constructor(channel: Channel) {
    this.rpc = createClient(PluginRelayerService, channel);
  }
  /** Sends the config and the broker ids the host serves; returns the relayer's broker id. */
  async newRelayer(config: string, ids: { keystore: number; capabilityRegistry: number; csaKeystore: number }): Promise<number> {
    const r = await this.rpc.newRelayer({ config, keystoreID: ids.keystore, capabilityRegistryID: ids.capabilityRegistry, keystoreCSAID: ids.csaKeystore });
    return r.relayerID;
  }
}

/** Plugin side of `loop.PluginRelayer`: dials the host's keystores, serves the new relayer. */
export function pluginRelayerServer(
  impl: { newRelayer(config: string, keystore: KeystoreClient, csaKeystore: KeystoreClient, capabilitiesRegistry: CapabilitiesRegistryClient): Promise<RelayerImpl> },
  broker: Broker,
): ServiceRegistration {
  return service(PluginRelayerService, {
    newRelayer: async (r) => {
      // Every dial is awaited, so that none is still pending when a failure closes the others.
      const dials = await Promise.allSettled([broker.dial(r.keystoreID), broker.dial(r.keystoreCSAID), broker.dial(r.capabilityRegistryID)]);
      const dialed = dials.flatMap((d) => (d.status === "fulfilled" ? [d.value] : []));
      const closeDialed = () => dialed.forEach((ch) => ch.close());
      const failed = dials.find((d) => d.status === "rejected");
      if (failed) {
        closeDialed();
        throw failed.reason;
      }
      const [ks, csa, caps] = dialed;
      let relayer: RelayerImpl;
      try {
        relayer = await impl.newRelayer(r.config, new KeystoreClient(ks), new KeystoreClient(csa), new CapabilitiesRegistryClient(caps, broker));
      } catch (e) {
        // As Go does: a refused NewRelayer (which a Go host retries) keeps none of its connections.
        closeDialed();
        throw e;
      }
      return { relayerID: await serveNew(broker, [loopServiceServer(relayer), relayerServer(relayer, broker)], relayer, ks, csa, caps) };
    },
  });
}
