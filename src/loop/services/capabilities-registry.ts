import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CapabilityConfig, CapabilityConfigSchema } from "../../gen/loop/capabilities/pb/registry_pb.js";
import {
  CapabilitiesRegistry as CapabilitiesRegistryService,
  ExecuteAPIType,
  type DON as DONPb,
  type NodeReply,
} from "../../gen/loop/internal/pb/capabilities_registry_pb.js";
import type { Broker } from "../../broker/broker.js";
import { createClient, service, type CallOptions, type Channel, type ClientOf, type ServiceRegistration } from "../../rpc/index.js";
import { uint8 } from "../wire/ranges.js";

export { ExecuteAPIType };

/**
 * `loop.CapabilitiesRegistry` (chainlink-common v0.11.1): the node's view of
 * capability DONs, which the host serves to a relayer on NewRelayer's
 * capabilityRegistryID. Capabilities themselves travel as broker ids: Get,
 * GetTrigger, GetExecutable and List serve the named capability's services on
 * a fresh id; Add hands the registry a capability the caller serves.
 * (chainlink-common's capability services — Info, Execute, triggers — are not
 * part of this library; a capability here is the set of services it serves.)
 */

type Awaitable<T> = T | Promise<T>;

export interface DON {
  id: number;
  name: string;
  /** 32-byte peer ids */
  members: Uint8Array[];
  /** a uint8 */
  f: number;
  configVersion: number;
  families: string[];
  config: Uint8Array;
}

export interface CapabilityNode {
  /** 32 bytes; absent in Go's zero Node. */
  peerId?: Uint8Array;
  nodeOperatorId: number;
  /** 32 bytes */
  signer: Uint8Array;
  /** 32 bytes */
  encryptionPublicKey: Uint8Array;
  workflowDon: DON;
  capabilityDons: DON[];
}

export interface DONWithNodes {
  don: DON;
  nodes: CapabilityNode[];
}

export type CapabilityKind = "trigger" | "executable" | "combined";

/** A capability the registry can hand out: its id, kind and the services that implement it. */
export interface LocalCapability {
  id: string;
  kind: CapabilityKind;
  services: ServiceRegistration[];
}

/** A capability someone else serves: the kind it was added as and the connection to it. */
export interface RemoteCapability {
  kind: CapabilityKind;
  channel: Channel;
}

/** chainlink-common's core.CapabilitiesRegistry, as the host implements it. */
export interface CapabilitiesRegistry {
  localNode(): Awaitable<CapabilityNode>;
  nodeByPeerId(peerId: Uint8Array): Awaitable<CapabilityNode>;
  configForCapability(capabilityId: string, donId: number): Awaitable<MessageInitShape<typeof CapabilityConfigSchema>>;
  donsForCapability(capabilityId: string): Awaitable<DONWithNodes[]>;
  get(id: string, kind?: CapabilityKind): Awaitable<LocalCapability>;
  list(): Awaitable<LocalCapability[]>;
  add(capability: RemoteCapability): Awaitable<void>;
  remove(id: string): Awaitable<void>;
}

const KIND_TO_PB: Record<CapabilityKind, ExecuteAPIType> = {
  trigger: ExecuteAPIType.EXECUTE_API_TYPE_TRIGGER,
  executable: ExecuteAPIType.EXECUTE_API_TYPE_EXECUTE,
  combined: ExecuteAPIType.EXECUTE_API_TYPE_COMBINED,
};
function kindFromPb(t: ExecuteAPIType): CapabilityKind {
  switch (t) {
    case ExecuteAPIType.EXECUTE_API_TYPE_TRIGGER:
      return "trigger";
    case ExecuteAPIType.EXECUTE_API_TYPE_EXECUTE:
      return "executable";
    case ExecuteAPIType.EXECUTE_API_TYPE_COMBINED:
      return "combined";
    default:
      throw new Error(`unknown execute type ${t}`);
  }
}

const donToPb = (d: DON) => ({ id: d.id, name: d.name, members: d.members, f: uint8(d.f, "f"), configVersion: d.configVersion, families: d.families, config: d.config });
const donFromPb = (d: DONPb | undefined): DON => ({
  id: d?.id ?? 0,
  name: d?.name ?? "",
  members: d?.members ?? [],
  // Go narrows with uint8(don.F).
  f: (d?.f ?? 0) & 0xff,
  configVersion: d?.configVersion ?? 0,
  families: d?.families ?? [],
  config: d?.config ?? new Uint8Array(),
});
/** Go copies signer and key into [32]byte: shorter is zero-padded, longer cut. */
const fixed32 = (b: Uint8Array) => {
  const out = new Uint8Array(32);
  out.set(b.subarray(0, 32));
  return out;
};
const nodeToPb = (n: CapabilityNode) => ({
  peerID: n.peerId ?? new Uint8Array(),
  nodeOperatorID: n.nodeOperatorId,
  signer: fixed32(n.signer),
  encryptionPublicKey: fixed32(n.encryptionPublicKey),
  workflowDON: donToPb(n.workflowDon),
  CapabilityDONs: n.capabilityDons.map(donToPb),
});
const nodeFromPb = (n: NodeReply): CapabilityNode => ({
  ...(n.peerID.length > 0 ? { peerId: n.peerID } : {}),
  nodeOperatorId: n.nodeOperatorID,
  signer: fixed32(n.signer),
  encryptionPublicKey: fixed32(n.encryptionPublicKey),
  workflowDon: donFromPb(n.workflowDON),
  capabilityDons: n.CapabilityDONs.map(donFromPb),
});

/**
 * Client of a host's registry. Capabilities come back as broker ids that
 * `broker` dials; `add` serves the given services on a new id of `broker`.
 */
export class CapabilitiesRegistryClient {
  readonly rpc: ClientOf<typeof CapabilitiesRegistryService>;
  constructor(
    readonly channel: Channel,
    private readonly broker: Broker,
  ) {
    this.rpc = createClient(CapabilitiesRegistryService, channel);
  }
  async localNode(opts?: CallOptions): Promise<CapabilityNode> {
    return nodeFromPb(await this.rpc.localNode({}, opts));
  }
  async nodeByPeerId(peerId: Uint8Array, opts?: CallOptions): Promise<CapabilityNode> {
    return nodeFromPb(await this.rpc.nodeByPeerID({ peerID: peerId }, opts));
  }
  async configForCapability(capabilityId: string, donId: number, opts?: CallOptions): Promise<CapabilityConfig | undefined> {
    return (await this.rpc.configForCapability({ capabilityID: capabilityId, donID: donId }, opts)).capabilityConfig;
  }
  async donsForCapability(capabilityId: string, opts?: CallOptions): Promise<DONWithNodes[]> {
    const r = await this.rpc.dONsForCapability({ capabilityID: capabilityId }, opts);
    return r.dons.map((d) => ({ don: donFromPb(d.don), nodes: d.nodes.map(nodeFromPb) }));
  }
  /** The capability's connection (the caller closes it) and the kind the registry reports. */
  async get(id: string, opts?: CallOptions): Promise<RemoteCapability> {
    const r = await this.rpc.get({ id }, opts);
    return { kind: kindFromPb(r.type), channel: await this.broker.dial(r.capabilityID) };
  }
  async getTrigger(id: string, opts?: CallOptions): Promise<Channel> {
    return this.broker.dial((await this.rpc.getTrigger({ id }, opts)).capabilityID);
  }
  async getExecutable(id: string, opts?: CallOptions): Promise<Channel> {
    return this.broker.dial((await this.rpc.getExecutable({ id }, opts)).capabilityID);
  }
  /** Broker ids of every capability, each served for the caller to dial. */
  async list(opts?: CallOptions): Promise<number[]> {
    return (await this.rpc.list({}, opts)).capabilityID;
  }
  /** Serves `capability` on a new broker id of this side and registers it with the host. */
  async add(capability: LocalCapability, opts?: CallOptions): Promise<{ close(): void }> {
    const id = this.broker.nextId();
    const listener = await this.broker.acceptAndServe(id, capability.services);
    try {
      await this.rpc.add({ capabilityID: id, type: KIND_TO_PB[capability.kind] }, opts);
    } catch (e) {
      listener.close();
      throw e;
    }
    return listener;
  }
  async remove(id: string, opts?: CallOptions): Promise<void> {
    await this.rpc.remove({ id }, opts);
  }
}

/**
 * Serves `impl` for the other side of `broker`. Listeners made for Get/List
 * and connections dialed for Add are handed to `own`, so that whoever owns the
 * broker connection closes them with it.
 */
export function capabilitiesRegistryServer(impl: CapabilitiesRegistry, broker: Broker, own: (r: { close(): void | Promise<void> }) => void = () => {}): ServiceRegistration {
  const serveCapability = async (c: LocalCapability) => {
    const id = broker.nextId();
    own(await broker.acceptAndServe(id, c.services));
    return id;
  };
  const getKind = async (id: string, kind: CapabilityKind) => {
    const c = await impl.get(id, kind);
    // Go checks the capability's type before serving it for GetTrigger/GetExecutable.
    if (c.kind !== kind && c.kind !== "combined") throw new Error(`capability with id: ${id} does not satisfy the capability interface`);
    return serveCapability(c);
  };
  return service(CapabilitiesRegistryService, {
    localNode: async () => nodeToPb(await impl.localNode()),
    nodeByPeerID: async (r) => nodeToPb(await impl.nodeByPeerId(r.peerID)),
    configForCapability: async (r) => ({ capabilityConfig: await impl.configForCapability(r.capabilityID, r.donID) }),
    dONsForCapability: async (r) => ({ dons: (await impl.donsForCapability(r.capabilityID)).map((d) => ({ don: donToPb(d.don), nodes: d.nodes.map(nodeToPb) })) }),
    get: async (r) => {
      const c = await impl.get(r.id);
      return { capabilityID: await serveCapability(c), type: KIND_TO_PB[c.kind] };
    },
    getTrigger: async (r) => ({ capabilityID: await getKind(r.id, "trigger") }),
    getExecutable: async (r) => ({ capabilityID: await getKind(r.id, "executable") }),
    list: async () => ({ capabilityID: await Promise.all((await impl.list()).map(serveCapability)) }),
    add: async (r) => {
      // The type is checked before dialing, so a bad request leaves nothing behind.
      const kind = kindFromPb(r.type);
      const channel = await broker.dial(r.capabilityID);
      own(channel);
      await impl.add({ kind, channel });
      return {};
    },
    remove: async (r) => {
      await impl.remove(r.id);
      return {};
    },
  });
}

/**
 * A registry held in memory: the node, DONs and capability configs the host
 * sets, local capabilities by id, and the capabilities plugins added.
 */
export class InMemoryCapabilitiesRegistry implements CapabilitiesRegistry {
  private local?: CapabilityNode;
  private readonly nodes = new Map<string, CapabilityNode>();
  private readonly dons = new Map<string, DONWithNodes[]>();
  private readonly configs = new Map<string, MessageInitShape<typeof CapabilityConfigSchema>>();
  private readonly capabilities = new Map<string, LocalCapability>();
  /** Capabilities plugins added (their ids are known only to their own Info service). */
  readonly added: RemoteCapability[] = [];

  setLocalNode(node: CapabilityNode): this {
    this.local = node;
    return this.addNode(node);
  }
  addNode(node: CapabilityNode): this {
    if (node.peerId) this.nodes.set(Buffer.from(node.peerId).toString("hex"), node);
    return this;
  }
  setDONs(capabilityId: string, dons: DONWithNodes[]): this {
    this.dons.set(capabilityId, dons);
    return this;
  }
  setConfig(capabilityId: string, donId: number, config: MessageInitShape<typeof CapabilityConfigSchema>): this {
    this.configs.set(`${capabilityId}\0${donId}`, config);
    return this;
  }
  register(capability: LocalCapability): this {
    this.capabilities.set(capability.id, capability);
    return this;
  }

  localNode(): CapabilityNode {
    if (!this.local) throw new Error("local node not set");
    return this.local;
  }
  nodeByPeerId(peerId: Uint8Array): CapabilityNode {
    const n = this.nodes.get(Buffer.from(peerId).toString("hex"));
    if (!n) throw new Error(`node not found for peerID ${Buffer.from(peerId).toString("hex")}`);
    return n;
  }
  configForCapability(capabilityId: string, donId: number) {
    const c = this.configs.get(`${capabilityId}\0${donId}`);
    if (!c) throw new Error(`no config for capability ${capabilityId} on DON ${donId}`);
    return c;
  }
  donsForCapability(capabilityId: string): DONWithNodes[] {
    return this.dons.get(capabilityId) ?? [];
  }
  get(id: string): LocalCapability {
    const c = this.capabilities.get(id);
    if (!c) throw new Error(`capability not found with id ${id}`);
    return c;
  }
  list(): LocalCapability[] {
    return [...this.capabilities.values()];
  }
  add(capability: RemoteCapability): void {
    this.added.push(capability);
  }
  remove(id: string): void {
    if (!this.capabilities.delete(id)) throw new Error(`capability not found with id ${id}`);
  }
}
