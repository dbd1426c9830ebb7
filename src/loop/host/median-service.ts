import type { Channel } from "../../rpc/client.js";
import type { Code } from "../../rpc/status.js";
import type { DescService } from "@bufbuild/protobuf";
import type { Client } from "../../goplugin/client.js";
import type { CallOptions } from "../../rpc/client.js";
import { registerProxy } from "../../rpc/proxy.js";
import { addServices, type Server, type ServiceRegistration } from "../../rpc/server.js";
import { Codec } from "../../gen/loop/internal/codec/codec_pb.js";
import { ContractReader } from "../../gen/loop/internal/pb/contract_reader_pb.js";
import { MedianContract, OnchainConfigCodec, ReportCodec } from "../../gen/loop/internal/pb/median_pb.js";
import { ContractConfigTracker, ContractTransmitter, OffchainConfigDigester, Service } from "../../gen/loop/internal/pb/relayer_pb.js";
import { LOOP_HANDSHAKES } from "../handshake.js";
import { dataSourceServer, type DataSource } from "../services/datasource.js";
import { errorLogServer, type ErrorLog } from "../services/errorlog.js";
import { PluginMedianClient } from "../services/median.js";
import type { ProviderConnection } from "../services/provider-connection.js";
import { ReportingPluginClient, ReportingPluginFactoryClient } from "../services/reporting.js";
import { LoopServiceClient } from "../services/service.js";
import type { ReportingPluginConfig, ReportingPluginInfo } from "../wire/ocr2.js";
import type { Generation } from "./generation.js";
import { traced, type LoopLaunchConfig } from "./launch.js";
import { PluginService, type SupervisionOptions } from "./plugin-service.js";
import type { SupervisedProvider } from "./relayer-service.js";

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
  /**
   * The relayer's provider, relayed to the plugin through a transparent proxy:
   * one connection, or a SupervisedProvider (RelayerService.supervisedProvider)
   * that follows the relayer across its restarts.
   */
  provider: ProviderConnection | SupervisedProvider;
  contractId: string;
  dataSource: DataSource;
  juelsPerFeeCoin: DataSource;
  gasPriceSubunits: DataSource;
  errorLog: ErrorLog;
  /** JSON object for the deviation function; leave undefined for plugins built on chainlink-common v0.11.1. */
  deviationFuncDefinition?: Record<string, unknown>;
  /** Each provider call the plugin makes through the host's proxy, with its status code. */
  onProxiedCall?: (path: string, code: Code) => void;
  /** Relaunch, ping and backoff settings; Go's defaults otherwise. */
  supervision?: SupervisionOptions;
}

/** The live median factory of one generation. */
export interface MedianFactory {
  factory: ReportingPluginFactoryClient;
  service: LoopServiceClient;
}

/**
 * The TypeScript counterpart of Go's `loop.NewMedianService`: a supervised
 * median LOOP plugin. Each generation serves the three data sources, the
 * provider proxy and the error log on broker ids and calls NewMedianFactory.
 * Reporting plugins belong to the generation that made them (as in Go, they
 * are plain connections): after a restart, make new ones through the factory.
 */
export class MedianService implements AsyncDisposable {
  readonly plugin: PluginService<MedianFactory>;

  constructor(private readonly cfg: MedianServiceConfig) {
    this.plugin = new PluginService({
      name: "MedianService",
      kind: "median",
      handshake: LOOP_HANDSHAKES.median,
      launch: cfg,
      supervision: cfg.supervision,
      create: (gen) => this.newMedianFactory(gen),
      ready: (f) => f.service.ready(),
      healthReport: (f) => f.service.healthReport(),
    });
  }

  /** The go-plugin client of the live (or latest) generation. */
  get client(): Client | undefined {
    return this.plugin.client;
  }

  async start(opts?: CallOptions): Promise<void> {
    await this.plugin.start(opts);
  }

  private upstream(): () => Promise<Channel> | Channel {
    const p = this.cfg.provider;
    if ("current" in p) return () => p.current().then((c) => c.channel);
    return () => p.channel;
  }

  private async newMedianFactory(gen: Generation): Promise<MedianFactory> {
    const ev = this.cfg.onEvent;
    const serve = async (name: string, services: ServiceRegistration[], setup?: (s: Server) => void) => {
      const id = gen.broker.nextId();
      const l = gen.own(await gen.broker.accept(id));
      setup?.(l.server);
      addServices(l.server, services);
      ev?.({ kind: "serve", name, id });
      return id;
    };
    const dataSourceId = await serve("DataSource", [dataSourceServer(this.cfg.dataSource)]);
    const juelsId = await serve("JuelsPerFeeCoinDataSource", [dataSourceServer(this.cfg.juelsPerFeeCoin)]);
    const gasId = await serve("GasPriceSubunitsDataSource", [dataSourceServer(this.cfg.gasPriceSubunits)]);
    const upstream = this.upstream();
    const providerId = await serve("MedianProvider (proxy)", [], (s) => registerProxy(s, MEDIAN_PROVIDER_SERVICES, upstream, this.cfg.onProxiedCall));
    const errorLogId = await serve("ErrorLog", [errorLogServer(this.cfg.errorLog)]);
    const id = await traced(ev, { kind: "rpc", name: "PluginMedian/NewMedianFactory" }, () =>
      new PluginMedianClient(gen.channel).newMedianFactory({
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
    const ch = gen.own(await gen.broker.dial(id));
    ev?.({ kind: "dial", name: "ReportingPluginFactory", id });
    return { factory: new ReportingPluginFactoryClient(ch, gen.broker), service: new LoopServiceClient(ch) };
  }

  /** The live generation's ReportingPluginFactory (waits for one while the plugin restarts). */
  async factory(opts?: CallOptions): Promise<MedianFactory> {
    return (await this.plugin.acquire(opts)).service;
  }

  newReportingPlugin(config: ReportingPluginConfig, opts?: CallOptions): Promise<{ plugin: ReportingPluginClient; info: ReportingPluginInfo }> {
    return this.plugin.call(async ({ factory }, gen) => {
      const r = await traced(this.cfg.onEvent, { kind: "rpc", name: "ReportingPluginFactory/NewReportingPlugin" }, () => factory.newReportingPlugin(config), (v) => ({
        id: v.id,
        detail: `→ reportingPluginID=${v.id} (dialed), info ${JSON.stringify({ name: v.info.name, uniqueReports: v.info.uniqueReports })}`,
      }));
      gen.own(r.plugin.channel);
      return r;
    }, opts, true);
  }

  ready(): Promise<void> {
    return this.plugin.ready();
  }

  /** This service's entry merged with the plugin's own HealthReport; "plugin unavailable" while down. */
  healthReport(): Promise<Record<string, string>> {
    return this.plugin.healthReport();
  }

  /** Stops supervision, closes reporting plugins, the factory and its served ids, then the process. */
  close(): Promise<void> {
    return this.plugin.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
