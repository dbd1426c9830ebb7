import type { Channel } from "../../rpc/client.js";
import { PluginMedian as PluginMedianService } from "../../gen/loop/internal/pb/median_pb.js";
import type { Broker } from "../../broker/broker.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import { DataSourceClient } from "./datasource.js";
import { ErrorLogClient } from "./errorlog.js";
import { ProviderConnection } from "./provider-connection.js";
import { reportingPluginFactoryServer, type ReportingPluginFactory } from "./reporting.js";
import { loopServiceServer, type LoopService } from "./service.js";

/** The broker ids and values of `loop.PluginMedian/NewMedianFactory`. */
export interface MedianFactoryArgs {
  medianProviderId: number;
  contractId: string;
  dataSourceId: number;
  juelsPerFeeCoinDataSourceId: number;
  gasPriceSubunitsDataSourceId: number;
  errorLogId: number;
  /** JSON object; absent when undefined. */
  deviationFuncDefinition?: Record<string, unknown>;
}

/** Client of `loop.PluginMedian` on a median plugin's main connection. */
export class PluginMedianClient {
  private readonly rpc: ClientOf<typeof PluginMedianService>;
  constructor(channel: Channel) {
    this.rpc = createClient(PluginMedianService, channel);
  }
  /** Returns the broker id of the plugin's ReportingPluginFactory. */
  async newMedianFactory(a: MedianFactoryArgs): Promise<number> {
    const r = await this.rpc.newMedianFactory({
      medianProviderID: a.medianProviderId,
      contractID: a.contractId,
      dataSourceID: a.dataSourceId,
      juelsPerFeeCoinDataSourceID: a.juelsPerFeeCoinDataSourceId,
      gasPriceSubunitsDataSourceID: a.gasPriceSubunitsDataSourceId,
      errorLogID: a.errorLogId,
      deviationFuncDefinition: a.deviationFuncDefinition === undefined ? undefined : new TextEncoder().encode(JSON.stringify(a.deviationFuncDefinition)),
    });
    return r.reportingPluginFactoryID;
  }
}

/** What a TypeScript median plugin implements: go-plugin's PluginMedian in TS terms. */
export interface MedianPluginImpl {
  newMedianFactory(args: {
    provider: ProviderConnection;
    contractId: string;
    dataSource: DataSourceClient;
    juelsPerFeeCoin: DataSourceClient;
    gasPriceSubunits: DataSourceClient;
    errorLog: ErrorLogClient;
    deviationFuncDefinition?: Record<string, unknown>;
  }): Promise<ReportingPluginFactory & LoopService>;
}

/**
 * Plugin side of `loop.PluginMedian`: dials the five host-served ids, builds the
 * factory, and serves it with `loop.Service` on a fresh broker id, as Go does.
 */
export function pluginMedianServer(impl: MedianPluginImpl, broker: Broker): ServiceRegistration {
  return service(PluginMedianService, {
    newMedianFactory: async (r) => {
      const ids = [r.medianProviderID, r.dataSourceID, r.juelsPerFeeCoinDataSourceID, r.gasPriceSubunitsDataSourceID, r.errorLogID];
      const dialed = await Promise.allSettled(ids.map((id) => broker.dial(id)));
      const channels = dialed.flatMap((d) => (d.status === "fulfilled" ? [d.value] : []));
      // On any failure the connections dialed for this request are released, as
      // Go does; a host retries NewMedianFactory, so they would pile up otherwise.
      const release = () => channels.forEach((ch) => ch.close());
      const failed = dialed.find((d) => d.status === "rejected");
      if (failed) {
        release();
        throw failed.reason;
      }
      const [provider, ds, juels, gas, errorLog] = channels;
      try {
        const factory = await impl.newMedianFactory({
          provider: new ProviderConnection(r.medianProviderID, provider!),
          contractId: r.contractID,
          dataSource: new DataSourceClient(ds!),
          juelsPerFeeCoin: new DataSourceClient(juels!),
          gasPriceSubunits: new DataSourceClient(gas!),
          errorLog: new ErrorLogClient(errorLog!),
          deviationFuncDefinition: r.deviationFuncDefinition?.length ? JSON.parse(new TextDecoder().decode(r.deviationFuncDefinition)) : undefined,
        });
        const id = broker.nextId();
        await broker.acceptAndServe(id, [loopServiceServer(factory), reportingPluginFactoryServer(factory, broker)]);
        return { reportingPluginFactoryID: id };
      } catch (err) {
        release();
        throw err;
      }
    },
  });
}
