import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.js";
import { Code, RpcError } from "../rpc/status.js";
import { service, type ServiceRegistration } from "../rpc/server.js";

/** go-plugin's health service name; hosts ping it. */
export const GRPC_SERVICE_NAME = "plugin";

/**
 * grpc.health.v1.Health with grpc-go's semantics: Check of an unknown service is
 * NOT_FOUND; Watch sends the current status (SERVICE_UNKNOWN for unknown
 * services) and then every change until the caller leaves.
 */
export class HealthServer {
  private readonly statuses = new Map<string, Status>([["", Status.SERVING]]);
  private wake = new Set<() => void>();

  setStatus(name: string, status: Status): void {
    this.statuses.set(name, status);
    const waiting = this.wake;
    this.wake = new Set();
    for (const w of waiting) w();
  }

  registration(): ServiceRegistration {
    return service(Health, {
      check: (req) => {
        const status = this.statuses.get(req.service);
        if (status === undefined) throw new RpcError(Code.NOT_FOUND, "unknown service");
        return { status };
      },
      list: () => ({
        statuses: Object.fromEntries([...this.statuses].map(([k, status]) => [k, { status }])),
      }),
      watch: (req, ctx) => this.watch(req.service, ctx.signal),
    });
  }

  private async *watch(name: string, signal: AbortSignal) {
    let last: Status | undefined;
    while (!signal.aborted) {
      const cur = this.statuses.get(name) ?? Status.SERVICE_UNKNOWN;
      if (cur !== last) {
        last = cur;
        yield { status: cur };
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.wake.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}
