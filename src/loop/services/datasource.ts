import type { Channel } from "../../rpc/client.js";
import { DataSource as DataSourceService } from "../../gen/loop/internal/pb/median_datasource_pb.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import { reportTimestamp, type ReportTimestamp } from "../wire/ocr2.js";
import { fromBigIntWire, toBigIntWire } from "../wire/bigint.js";

/** `loop.DataSource`: one observed value per report timestamp (median's price feeds). */
export interface DataSource {
  observe(ts: ReportTimestamp): Promise<bigint>;
}

export function dataSourceServer(impl: DataSource): ServiceRegistration {
  return service(DataSourceService, {
    observe: async (r) => ({ value: toBigIntWire(await impl.observe(reportTimestamp.fromWire(r.reportTimestamp))) }),
  });
}

export class DataSourceClient implements DataSource {
  private readonly rpc: ClientOf<typeof DataSourceService>;
  constructor(channel: Channel) {
    this.rpc = createClient(DataSourceService, channel);
  }
  async observe(ts: ReportTimestamp): Promise<bigint> {
    const r = await this.rpc.observe({ reportTimestamp: reportTimestamp.toWire(ts) });
    const v = fromBigIntWire(r.value);
    if (v === undefined) throw new RangeError("observe: reply has no value");
    return v;
  }
}
