import type { JsonObject } from "@bufbuild/protobuf";
import type { Client } from "../../goplugin/client.js";
import type { ServiceRegistration } from "../../rpc/server.js";
import { LOOP_HANDSHAKES } from "../handshake.js";
import { loopClient, traced, type LoopConnection, type LoopLaunchConfig } from "./launch.js";
import { keystoreServer, type Keystore } from "../services/keystore.js";
import { LazyConnection } from "./lazy-connection.js";
import { ProviderConnection } from "../services/provider-connection.js";
import { PluginRelayerClient, RelayerClient, type PluginArgs, type RelayArgs } from "../services/relayer.js";
import { LoopServiceClient } from "../services/service.js";

export interface RelayerServiceConfig extends LoopLaunchConfig {
  /** The chain's TOML config handed to NewRelayer. */
  config: string;
  keystore: Keystore;
  csaKeystore: Keystore;
  /** Services for the capabilities-registry id; none (every call UNIMPLEMENTED) by default. */
  capabilitiesRegistry?: ServiceRegistration[];
}

/**
 * The TypeScript counterpart of Go's `loop.NewRelayerService`: launches a relayer
 * LOOP plugin and gives the host the relayer. The NewRelayer RPC runs on first
 * use; for it the host serves its keystore, its CSA keystore and a capabilities
 * registry on three broker ids.
 */
export class RelayerService implements AsyncDisposable {
  readonly client: Client;
  private conn?: Promise<LoopConnection>;
  private readonly relayerConn: LazyConnection;
  private readonly providers = new Set<ProviderConnection>();
  private relayerClient?: RelayerClient;

  constructor(private readonly cfg: RelayerServiceConfig) {
    this.client = loopClient("relayer", LOOP_HANDSHAKES.relayer, cfg);
    this.relayerConn = new LazyConnection("Relayer", async () => (await this.connection()).broker, (own) => this.newRelayer(own));
  }

  /** Launches the plugin and connects (NewRelayer stays lazy, as in Go). */
  async start(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<LoopConnection> {
    this.conn ??= traced(this.cfg.onEvent, { kind: "launch", name: "relayer plugin" }, async () => {
      const p = await this.client.client();
      return { client: this.client, channel: p.channel, broker: p.broker };
    }, () => ({ detail: `pid ${this.client.pid}, ${this.client.address?.network}:${this.client.address?.address}` }));
    return this.conn;
  }

  private async newRelayer(own: (r: { close(): void }) => void): Promise<number> {
    const { channel, broker } = await this.connection();
    const ev = this.cfg.onEvent;
    const serve = async (name: string, services: ServiceRegistration[]) => {
      const id = broker.nextId();
      const l = await broker.acceptAndServe(id, services);
      own(l);
      ev?.({ kind: "serve", name, id });
      return id;
    };
    const keystore = await serve("Keystore", [keystoreServer(this.cfg.keystore)]);
    const capabilityRegistry = await serve("CapabilitiesRegistry", this.cfg.capabilitiesRegistry ?? []);
    const csaKeystore = await serve("CSAKeystore", [keystoreServer(this.cfg.csaKeystore)]);
    return traced(ev, { kind: "rpc", name: "PluginRelayer/NewRelayer" }, () =>
      new PluginRelayerClient(channel).newRelayer(this.cfg.config, { keystore, capabilityRegistry, csaKeystore }),
      (id) => ({ id, detail: `keystoreID=${keystore} capabilityRegistryID=${capabilityRegistry} keystoreCSAID=${csaKeystore} → relayerID=${id}` }),
    );
  }

  /** The relayer (runs NewRelayer on first use). */
  async relayer(): Promise<RelayerClient> {
    if (!this.relayerClient) {
      const ch = await this.relayerConn.channel();
      this.cfg.onEvent?.({ kind: "dial", name: "Relayer", id: this.relayerConn.id });
      this.relayerClient ??= new RelayerClient(ch);
    }
    return this.relayerClient;
  }

  /** `loop.Service` of the relayer connection. */
  async relayerService(): Promise<LoopServiceClient> {
    return new LoopServiceClient((await this.relayer()).channel);
  }

  getChainStatus() {
    return this.relayer().then((r) => r.getChainStatus());
  }
  getChainInfo() {
    return this.relayer().then((r) => r.getChainInfo());
  }
  listNodeStatuses(pageSize: number, pageToken = "") {
    return this.relayer().then((r) => r.listNodeStatuses(pageSize, pageToken));
  }
  transact(from: string, to: string, amount: bigint, balanceCheck: boolean) {
    return this.relayer().then((r) => r.transact(from, to, amount, balanceCheck));
  }
  replay(fromBlock: string, args: JsonObject) {
    return this.relayer().then((r) => r.replay(fromBlock, args));
  }
  latestHead() {
    return this.relayer().then((r) => r.latestHead());
  }

  /**
   * NewPluginProvider: the relayer serves the provider on a broker id, which is
   * dialed and probed for ContractReader and Codec like Go's provider client.
   */
  async newPluginProvider(relay: RelayArgs, plugin: PluginArgs): Promise<ProviderConnection> {
    const r = await this.relayer();
    const { broker } = await this.connection();
    const id = await traced(this.cfg.onEvent, { kind: "rpc", name: "Relayer/NewPluginProvider" }, () => r.newPluginProvider(relay, plugin), (id) => ({
      id,
      detail: `providerType=${relay.providerType} → pluginProviderID=${id}`,
    }));
    const ch = await broker.dial(id);
    this.cfg.onEvent?.({ kind: "dial", name: "PluginProvider", id });
    const p = new ProviderConnection(id, ch);
    this.providers.add(p);
    await p.probe();
    return p;
  }

  async ready(): Promise<void> {
    await (await this.relayerService()).ready();
  }

  async healthReport(): Promise<Record<string, string>> {
    return (await this.relayerService()).healthReport();
  }

  /** Closes providers, the relayer connection and its served ids, then the plugin process. */
  async close(): Promise<void> {
    for (const p of this.providers) p.close();
    this.providers.clear();
    await this.relayerConn.close();
    await this.client.kill();
    this.cfg.onEvent?.({ kind: "close", name: "relayer plugin", detail: `exit ${this.client.exitCode ?? this.client.exitSignal}` });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

