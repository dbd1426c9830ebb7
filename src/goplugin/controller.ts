import { GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { service, type ServiceRegistration } from "../rpc/server.js";

/** plugin.GRPCController: answers Shutdown, then lets the server stop. */
export function controllerService(onShutdown: () => void): ServiceRegistration {
  return service(GRPCController, {
    shutdown: () => {
      setImmediate(onShutdown);
      return {};
    },
  });
}
