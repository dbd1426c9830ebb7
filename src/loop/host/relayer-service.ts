import type { Channel } from "../../rpc/client.js";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Client } from "../../goplugin/client.js";
import type { CallOptions } from "../../rpc/client.js";
import type { ServiceRegistration } from "../../rpc/server.js";
import { LOOP_HANDSHAKES } from "../handshake.js";
import { keystoreServer, type Keystore } from "../services/keystore.js";
import { capabilitiesRegistryServer, InMemoryCapabilitiesRegistry, type CapabilitiesRegistry } from "../services/capabilities-registry.js";
import { ProviderConnection } from "../services/provider-connection.js";
import { PluginRelayerClient, RelayerClient, type PluginArgs, type RelayArgs } from "../services/relayer.js";
import { LoopServiceClient } from "../services/service.js";
import type { Generation } from "./generation.js";
import { traced, type LoopLaunchConfig } from "./launch.js";
import { PluginService, type SupervisionOptions } from "./plugin-service.js";
import { ConfigProviderConnection, ContractReaderConnection, ContractWriterConnection } from "./served-connections.js";

export interface RelayerServiceConfig extends LoopLaunchConfig {
  /** The chain's TOML config handed to NewRelayer. */
  config: string;
  keystore: Keystore;
  csaKeystore: Keystore;
  /** The registry served on the capabilities-registry id; an empty InMemoryCapabilitiesRegistry by default. */
  capabilitiesRegistry?: CapabilitiesRegistry;
  /** Relaunch, ping and backoff settings; Go's defaults otherwise. */
  supervision?: SupervisionOptions;
}

/**
 * A provider that follows the relayer across restarts: each relayer
 * generation gets its own NewPluginProvider, made on first use. Hand it to a
 * MedianService so that the proxied provider survives a relayer crash.
 */
export interface SupervisedProvider {
  /** The provider of the live relayer generation (created on first use). */
  current(opts?: CallOptions): Promise<ProviderConnection>;
}

/**
 * The TypeScript counterpart of Go's `loop.NewRelayerService`: a supervised
 * relayer LOOP plugin. Each generation serves the host's keystore, CSA
 * keystore and capabilities registry on three broker ids, runs NewRelayer and
 * dials the relayer; a crashed plugin is relaunched and re-created by the
 * PluginService underneath.
 */
export class RelayerService implements AsyncDisposable {
  readonly plugin: PluginService<RelayerClient>;

  constructor(private readonly cfg: RelayerServiceConfig) {
    this.plugin = new PluginService({
      name: "RelayerService",
      kind: "relayer",
      handshake: LOOP_HANDSHAKES.relayer,
      launch: cfg,
      supervision: cfg.supervision,
      create: (gen) => this.newRelayer(gen),
      ready: (r) => new LoopServiceClient(r.channel).ready(),
      healthReport: (r) => new LoopServiceClient(r.channel).healthReport(),
    });
  }

  /** The go-plugin client of the live (or latest) generation. */
  get client(): Client | undefined {
    return this.plugin.client;
  }

  /** Launches the plugin and creates the relayer (waits for the first generation). */
  async start(opts?: CallOptions): Promise<void> {
    await this.plugin.start(opts);
  }

  private async newRelayer(gen: Generation): Promise<RelayerClient> {
    const ev = this.cfg.onEvent;
    const serve = async (name: string, services: ServiceRegistration[]) => {
      const id = gen.broker.nextId();
      gen.own(await gen.broker.acceptAndServe(id, services));
      ev?.({ kind: "serve", name, id });
      return id;
    };
    const keystore = await serve("Keystore", [keystoreServer(this.cfg.keystore)]);
    const registry = (this.cfg.capabilitiesRegistry ??= new InMemoryCapabilitiesRegistry());
    const capabilityRegistry = await serve("CapabilitiesRegistry", [capabilitiesRegistryServer(registry, gen.broker, (r) => gen.own(r))]);
    const csaKeystore = await serve("CSAKeystore", [keystoreServer(this.cfg.csaKeystore)]);
    const id = await traced(ev, { kind: "rpc", name: "PluginRelayer/NewRelayer" }, () =>
      new PluginRelayerClient(gen.channel).newRelayer(this.cfg.config, { keystore, capabilityRegistry, csaKeystore }),
      (id) => ({ id, detail: `keystoreID=${keystore} capabilityRegistryID=${capabilityRegistry} keystoreCSAID=${csaKeystore} → relayerID=${id}` }),
    );
    const ch = gen.own(await gen.broker.dial(id));
    ev?.({ kind: "dial", name: "Relayer", id });
    return new RelayerClient(ch);
  }

  /** The relayer of the live generation (waits for one while the plugin restarts). */
  relayer(opts?: CallOptions): Promise<RelayerClient> {
    return this.plugin.acquire(opts).then((l) => l.service);
  }

  /** `loop.Service` of the live relayer connection. */
  async relayerService(opts?: CallOptions): Promise<LoopServiceClient> {
    return new LoopServiceClient((await this.relayer(opts)).channel);
  }

  getChainStatus(opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.getChainStatus(o), opts, true);
  }
  getChainInfo(opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.getChainInfo(o), opts, true);
  }
  listNodeStatuses(pageSize: number, pageToken = "", opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.listNodeStatuses(pageSize, pageToken, o), opts, true);
  }
  transact(from: string, to: string, amount: bigint, balanceCheck: boolean, opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.transact(from, to, amount, balanceCheck, o), opts);
  }
  replay(fromBlock: string, args: JsonObject, opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.replay(fromBlock, args, o), opts);
  }
  latestHead(opts?: CallOptions) {
    return this.plugin.call((r, _g, o) => r.latestHead(o), opts, true);
  }

  /**
   * NewPluginProvider on the live generation: the relayer serves the provider
   * on a broker id, which is dialed and probed for ContractReader and Codec
   * like Go's provider client. The connection belongs to that generation and
   * is closed with it; `supervisedProvider` follows restarts instead.
   */
  newPluginProvider(relay: RelayArgs, plugin: PluginArgs, opts?: CallOptions): Promise<ProviderConnection> {
    return this.plugin.call((r, gen, o) => this.provide(r, gen, relay, plugin, o), opts, true);
  }

  /**
   * Runs a relayer factory RPC on the live generation and dials the broker id
   * it answers; the connection belongs to that generation (closed with it).
   */
  private served<C>(name: string, factory: (r: RelayerClient, o?: CallOptions) => Promise<number>, make: (id: number, ch: Channel) => C, opts?: CallOptions): Promise<C> {
    return this.plugin.call(async (r, gen, o) => {
      const id = await traced(this.cfg.onEvent, { kind: "rpc", name: `Relayer/New${name}` }, () => factory(r, o), (id) => ({ id, detail: `${name} id ${id}` }));
      const ch: Channel = gen.own(await gen.broker.dial(id));
      this.cfg.onEvent?.({ kind: "dial", name, id });
      return make(id, ch);
    }, opts);
  }

  /** NewConfigProvider: the OCR2 config services of one job (what bootstrap jobs ask for). */
  newConfigProvider(relay: RelayArgs, opts?: CallOptions): Promise<ConfigProviderConnection> {
    return this.served("ConfigProvider", (r, o) => r.newConfigProvider(relay, o), (id, ch) => new ConfigProviderConnection(id, ch), opts);
  }

  /** NewContractReader with the chain-specific reader config. */
  newContractReader(config: Uint8Array, opts?: CallOptions): Promise<ContractReaderConnection> {
    return this.served("ContractReader", (r, o) => r.newContractReader(config, o), (id, ch) => new ContractReaderConnection(id, ch), opts);
  }

  /** NewContractWriter with the chain-specific writer config. */
  newContractWriter(config: Uint8Array, opts?: CallOptions): Promise<ContractWriterConnection> {
    return this.served("ContractWriter", (r, o) => r.newContractWriter(config, o), (id, ch) => new ContractWriterConnection(id, ch), opts);
  }

  /** A provider re-created on each relayer generation (Go's refreshing clientConn for NewPluginProvider). */
  supervisedProvider(relay: RelayArgs, plugin: PluginArgs): SupervisedProvider {
    let cached: { gen: Generation; p: Promise<ProviderConnection> } | undefined;
    return {
      current: (opts) =>
        this.plugin.call((r, gen, o) => {
          if (cached?.gen !== gen) {
            const entry = { gen, p: this.provide(r, gen, relay, plugin, o) };
            entry.p.catch(() => {
              if (cached === entry) cached = undefined;
            });
            cached = entry;
          }
          return cached.p;
        }, opts, true),
    };
  }

  private async provide(r: RelayerClient, gen: Generation, relay: RelayArgs, plugin: PluginArgs, opts?: CallOptions): Promise<ProviderConnection> {
    const id = await traced(this.cfg.onEvent, { kind: "rpc", name: "Relayer/NewPluginProvider" }, () => r.newPluginProvider(relay, plugin, opts), (id) => ({
      id,
      detail: `providerType=${relay.providerType} → pluginProviderID=${id}`,
    }));
    const ch: Channel = gen.own(await gen.broker.dial(id));
    this.cfg.onEvent?.({ kind: "dial", name: "PluginProvider", id });
    const p = new ProviderConnection(id, ch);
    await p.probe();
    return p;
  }

  ready(): Promise<void> {
    return this.plugin.ready();
  }

  /** This service's entry merged with the relayer's own HealthReport; "plugin unavailable" while down. */
  healthReport(): Promise<Record<string, string>> {
    return this.plugin.healthReport();
  }

  /** Stops supervision, closes providers, the relayer connection and its served ids, then the plugin process. */
  close(): Promise<void> {
    return this.plugin.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
