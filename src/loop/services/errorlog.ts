import type { Channel } from "../../rpc/client.js";
import { ErrorLog as ErrorLogService } from "../../gen/loop/internal/pb/median_pb.js";
import { createClient, type ClientOf } from "../../rpc/client.js";
import { service, type ServiceRegistration } from "../../rpc/server.js";

/** `loop.ErrorLog`: where a plugin reports errors for the node's job UI. */
export interface ErrorLog {
  saveError(message: string): Promise<void>;
}

export function errorLogServer(impl: ErrorLog): ServiceRegistration {
  return service(ErrorLogService, {
    saveError: async (r) => {
      await impl.saveError(r.message);
      return {};
    },
  });
}

export class ErrorLogClient implements ErrorLog {
  private readonly rpc: ClientOf<typeof ErrorLogService>;
  constructor(channel: Channel) {
    this.rpc = createClient(ErrorLogService, channel);
  }
  async saveError(message: string): Promise<void> {
    await this.rpc.saveError({ message });
  }
}
