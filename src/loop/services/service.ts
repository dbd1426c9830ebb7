import type { Channel } from "../../rpc/client.js";
import { Service } from "../../gen/loop/internal/pb/relayer_pb.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";
import { Code, RpcError } from "../../rpc/status.js";

/**
 * `loop.Service`: the lifecycle every LOOP connection that has one exposes.
 * Health reports map names to "" (healthy) or an error text.
 */
export interface LoopService {
  /** Go servers leave Name unimplemented; omit it to answer UNIMPLEMENTED the same way. */
  name?(): string | Promise<string>;
  close(): void | Promise<void>;
  ready(): void | Promise<void>;
  healthReport(): Record<string, string> | Promise<Record<string, string>>;
}

export function loopServiceServer(impl: LoopService): ServiceRegistration {
  return service(Service, {
    name: async () => {
      if (!impl.name) throw new RpcError(Code.UNIMPLEMENTED, "method Name not implemented");
      return { name: await impl.name() };
    },
    close: async () => {
      await impl.close();
      return {};
    },
    ready: async () => {
      await impl.ready();
      return {};
    },
    healthReport: async () => ({ healthReport: await impl.healthReport() }),
  });
}

/** Client of `loop.Service`; Ready and HealthReport use Go's 1 s deadline. */
export class LoopServiceClient implements Required<LoopService> {
  private readonly rpc: ClientOf<typeof Service>;
  constructor(channel: Channel) {
    this.rpc = createClient(Service, channel);
  }
  async name(): Promise<string> {
    return (await this.rpc.name({})).name;
  }
  async close(): Promise<void> {
    await this.rpc.close({});
  }
  async ready(): Promise<void> {
    await this.rpc.ready({}, { deadline: 1000 });
  }
  async healthReport(): Promise<Record<string, string>> {
    return (await this.rpc.healthReport({}, { deadline: 1000 })).healthReport;
  }
}
