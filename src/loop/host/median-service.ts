import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import type { Client } from "../../goplugin/client.js";
import { addServices, type ServiceRegistration } from "../../rpc/server.js";
import { Codec } from "../../gen/loop/internal/codec/codec_pb.js";
import { ContractReader } from "../../gen/loop/internal/pb/contract_reader_pb.js";
import { MedianContract, OnchainConfigCodec, ReportCodec } from "../../gen/loop/internal/pb/median_pb.js";
import { ContractConfigTracker, ContractTransmitter, OffchainConfigDigester, Service } from "../../gen/loop/internal/pb/relayer_pb.js";
import { dataSourceServer, type DataSource } from "../services/datasource.js";
import { errorLogServer, type ErrorLog } from "../services/errorlog.js";
import { LOOP_HANDSHAKES } from "../handshake.js";
import { loopClient, traced, type LoopConnection, type LoopLaunchConfig } from "./launch.js";
import { LazyConnection } from "./lazy-connection.js";
import { PluginMedianClient } from "../services/median.js";
import type { ReportingPluginConfig, ReportingPluginInfo } from "../wire/ocr2.js";
import type { ProviderConnection } from "../services/provider-connection.js";
import { registerProxy } from "../../rpc/proxy.js";
import { ReportingPluginClient, ReportingPluginFactoryClient } from "../services/reporting.js";
import { LoopServiceClient } from "../services/service.js";

/** Every service a median provider connection may carry; all are relayed by the proxy. */
export const MEDIAN_PROVIDER_SERVICES: readonly DescService[] = [
  Service,
  OffchainConfigDigester,
  ContractConfigTracker,
  ContractTransmitter,
  ContractReader,
  Codec,
  ReportCodec,
  MedianContract,
  OnchainConfigCodec,
] as unknown as DescService[];

export interface MedianServiceConfig extends LoopLaunchConfig {
  /** The relayer's provider, relayed to the plugin through a transparent proxy. */
  provider: ProviderConnection;
  contractId: string;
  dataSource: DataSource;
  juelsPerFeeCoin: DataSource;
  gasPriceSubunits: DataSource;
  errorLog: ErrorLog;
  /** JSON object for the deviation function; leave undefined for plugins built on chainlink-common v0.11.1. */
  deviationFuncDefinition?: Record<string, unknown>;
  /** Each provider call the plugin makes through the host's proxy, with its status code. */
  onProxiedCall?: (path: string, code: grpc.status) => void;
}

/**
 * The TypeScript counterpart of Go's `loop.NewMedianService`: launches a median
 * LOOP plugin; on first use serves the three data sources, the provider proxy
 * and the error log on broker ids and calls NewMedianFactory.
 */
export class MedianService implements AsyncDisposable {
  readonly client: Client;
  private conn?: Promise<LoopConnection>;
  private readonly factoryConn: LazyConnection;
  private readonly plugins = new Set<ReportingPluginClient>();

  constructor(private readonly cfg: MedianServiceConfig) {
    this.client = loopClient("median", LOOP_HANDSHAKES.median, cfg);
    this.factoryConn = new LazyConnection("ReportingPluginFactory", async () => (await this.connection()).broker, (own) => this.newMedianFactory(own));
  }

  async start(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<LoopConnection> {
    this.conn ??= traced(this.cfg.onEvent, { kind: "launch", name: "median plugin" }, async () => {
      const p = await this.client.client();
      return { client: this.client, channel: p.channel, broker: p.broker };
    }, () => ({ detail: `pid ${this.client.pid}, ${this.client.address?.network}:${this.client.address?.address}` }));
    return this.conn;
  }

  private async newMedianFactory(own: (r: { close(): void }) => void): Promise<number> {
    const { channel, broker } = await this.connection();
    const ev = this.cfg.onEvent;
    const serve = async (name: string, services: ServiceRegistration[], setup?: (s: grpc.Server) => void) => {
      const id = broker.nextId();
      const l = await broker.accept(id);
      own(l);
      setup?.(l.server);
      addServices(l.server, services);
      ev?.({ kind: "serve", name, id });
      return id;
    };
    const dataSourceId = await serve("DataSource", [dataSourceServer(this.cfg.dataSource)]);
    const juelsId = await serve("JuelsPerFeeCoinDataSource", [dataSourceServer(this.cfg.juelsPerFeeCoin)]);
    const gasId = await serve("GasPriceSubunitsDataSource", [dataSourceServer(this.cfg.gasPriceSubunits)]);
    const upstream = this.cfg.provider.channel;
    const providerId = await serve("MedianProvider (proxy)", [], (s) => registerProxy(s, MEDIAN_PROVIDER_SERVICES, () => upstream, this.cfg.onProxiedCall));
    const errorLogId = await serve("ErrorLog", [errorLogServer(this.cfg.errorLog)]);
    return traced(ev, { kind: "rpc", name: "PluginMedian/NewMedianFactory" }, () =>
      new PluginMedianClient(channel).newMedianFactory({
        medianProviderId: providerId,
        contractId: this.cfg.contractId,
        dataSourceId,
        juelsPerFeeCoinDataSourceId: juelsId,
        gasPriceSubunitsDataSourceId: gasId,
        errorLogId,
        deviationFuncDefinition: this.cfg.deviationFuncDefinition,
      }),
      (id) => ({ id, detail: `medianProviderID=${providerId} dataSourceID=${dataSourceId} juelsPerFeeCoinDataSourceID=${juelsId} gasPriceSubunitsDataSourceID=${gasId} errorLogID=${errorLogId} → reportingPluginFactoryID=${id}` }),
    );
  }

  /** The plugin's ReportingPluginFactory (runs NewMedianFactory on first use). */
  async factory(): Promise<{ factory: ReportingPluginFactoryClient; service: LoopServiceClient }> {
    const ch = await this.factoryConn.channel();
    const { broker } = await this.connection();
    return { factory: new ReportingPluginFactoryClient(ch, broker), service: new LoopServiceClient(ch) };
  }

  async newReportingPlugin(config: ReportingPluginConfig): Promise<{ plugin: ReportingPluginClient; info: ReportingPluginInfo }> {
    const { factory } = await this.factory();
    const r = await traced(this.cfg.onEvent, { kind: "rpc", name: "ReportingPluginFactory/NewReportingPlugin" }, () => factory.newReportingPlugin(config), (v) => ({
      id: v.id,
      detail: `→ reportingPluginID=${v.id} (dialed), info ${JSON.stringify({ name: v.info.name, uniqueReports: v.info.uniqueReports })}`,
    }));
    this.plugins.add(r.plugin);
    return r;
  }

  async ready(): Promise<void> {
    await (await this.factory()).service.ready();
  }

  async healthReport(): Promise<Record<string, string>> {
    return (await this.factory()).service.healthReport();
  }

  /** Closes reporting plugins, the factory connection and its served ids, then the process. */
  async close(): Promise<void> {
    for (const p of this.plugins) p.channel.close();
    this.plugins.clear();
    await this.factoryConn.close();
    await this.client.kill();
    this.cfg.onEvent?.({ kind: "close", name: "median plugin", detail: `exit ${this.client.exitCode ?? this.client.exitSignal}` });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
