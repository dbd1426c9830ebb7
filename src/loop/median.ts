import type * as grpc from "@grpc/grpc-js";
import { PluginMedian as PluginMedianService } from "../gen/loop/internal/pb/median_pb.js";
import { createClient, type ClientOf } from "../rpc/client.js";

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
  constructor(channel: grpc.Client) {
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
