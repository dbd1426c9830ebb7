import type { Channel } from "../../rpc/client.js";
import { ReportingPlugin as PluginService, ReportingPluginFactory as FactoryService } from "../../gen/loop/internal/pb/reporting_pb.js";
import type { Broker } from "../../broker/broker.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import { serveNew } from "./serve-new.js";
import {
  attributedObservation,
  reportingPluginConfig,
  reportingPluginInfo,
  reportTimestamp,
  type AttributedObservation,
  type ReportingPluginConfig,
  type ReportingPluginInfo,
  type ReportTimestamp,
} from "../wire/ocr2.js";

/** libocr's OCR2 ReportingPlugin, as `loop.ReportingPlugin` carries it. */
export interface ReportingPlugin {
  query(ts: ReportTimestamp): Promise<Uint8Array>;
  observation(ts: ReportTimestamp, query: Uint8Array): Promise<Uint8Array>;
  report(ts: ReportTimestamp, query: Uint8Array, observations: AttributedObservation[]): Promise<{ shouldReport: boolean; report: Uint8Array }>;
  shouldAcceptFinalizedReport(ts: ReportTimestamp, report: Uint8Array): Promise<boolean>;
  shouldTransmitAcceptedReport(ts: ReportTimestamp, report: Uint8Array): Promise<boolean>;
  close(): Promise<void>;
}

export class ReportingPluginClient implements ReportingPlugin {
  private readonly rpc: ClientOf<typeof PluginService>;
  constructor(readonly channel: Channel) {
    this.rpc = createClient(PluginService, channel);
  }
  async query(ts: ReportTimestamp) {
    return (await this.rpc.query({ reportTimestamp: reportTimestamp.toWire(ts) })).query;
  }
  async observation(ts: ReportTimestamp, query: Uint8Array) {
    return (await this.rpc.observation({ reportTimestamp: reportTimestamp.toWire(ts), query })).observation;
  }
  async report(ts: ReportTimestamp, query: Uint8Array, observations: AttributedObservation[]) {
    const r = await this.rpc.report({ reportTimestamp: reportTimestamp.toWire(ts), query, observations: observations.map(attributedObservation.toWire) });
    return { shouldReport: r.shouldReport, report: r.report };
  }
  async shouldAcceptFinalizedReport(ts: ReportTimestamp, report: Uint8Array) {
    return (await this.rpc.shouldAcceptFinalizedReport({ reportTimestamp: reportTimestamp.toWire(ts), report })).shouldAccept;
  }
  async shouldTransmitAcceptedReport(ts: ReportTimestamp, report: Uint8Array) {
    return (await this.rpc.shouldTransmitAcceptedReport({ reportTimestamp: reportTimestamp.toWire(ts), report })).shouldTransmit;
  }
  /** Closes the plugin remotely, then the connection. */
  async close() {
    try {
      await this.rpc.close({});
    } finally {
      this.channel.close();
    }
  }
}

export function reportingPluginServer(impl: ReportingPlugin): ServiceRegistration {
  return service(PluginService, {
    query: async (r) => ({ query: await impl.query(reportTimestamp.fromWire(r.reportTimestamp)) }),
    observation: async (r) => ({ observation: await impl.observation(reportTimestamp.fromWire(r.reportTimestamp), r.query) }),
    report: async (r) => impl.report(reportTimestamp.fromWire(r.reportTimestamp), r.query, r.observations.map(attributedObservation.fromWire)),
    shouldAcceptFinalizedReport: async (r) => ({ shouldAccept: await impl.shouldAcceptFinalizedReport(reportTimestamp.fromWire(r.reportTimestamp), r.report) }),
    shouldTransmitAcceptedReport: async (r) => ({ shouldTransmit: await impl.shouldTransmitAcceptedReport(reportTimestamp.fromWire(r.reportTimestamp), r.report) }),
    close: async () => {
      await impl.close();
      return {};
    },
  });
}

/** `loop.ReportingPluginFactory`: makes a ReportingPlugin served on a fresh broker id. */
export interface ReportingPluginFactory {
  newReportingPlugin(config: ReportingPluginConfig): Promise<{ plugin: ReportingPlugin; info: ReportingPluginInfo }>;
}

/** Client side: the plugin answers with a broker id, which is dialed here. */
export class ReportingPluginFactoryClient {
  private readonly rpc: ClientOf<typeof FactoryService>;
  constructor(
    channel: Channel,
    private readonly broker: Broker,
  ) {
    this.rpc = createClient(FactoryService, channel);
  }
  async newReportingPlugin(config: ReportingPluginConfig): Promise<{ plugin: ReportingPluginClient; info: ReportingPluginInfo; id: number }> {
    const r = await this.rpc.newReportingPlugin({ reportingPluginConfig: reportingPluginConfig.toWire(config) });
    const channel = await this.broker.dial(r.reportingPluginID);
    return { plugin: new ReportingPluginClient(channel), info: reportingPluginInfo.fromWire(r.reportingPluginInfo), id: r.reportingPluginID };
  }
}

/** Server side: each new plugin is served (ReportingPlugin only, as in Go) on its own broker id. */
export function reportingPluginFactoryServer(impl: ReportingPluginFactory, broker: Broker): ServiceRegistration {
  return service(FactoryService, {
    newReportingPlugin: async (r) => {
      const { plugin, info } = await impl.newReportingPlugin(reportingPluginConfig.fromWire(r.reportingPluginConfig));
      const id = await serveNew(broker, [reportingPluginServer(plugin)], plugin);
      return { reportingPluginID: id, reportingPluginInfo: reportingPluginInfo.toWire(info) };
    },
  });
}
