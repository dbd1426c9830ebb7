import type { Broker } from "../../broker/broker.js";
import type { ServiceRegistration } from "../../rpc/server.js";

/** What a failed serve closes: the served implementation, channels it was built on. */
export interface Closer {
  close(): unknown;
}

/**
 * chainlink-common's ServeNew: serves `services` on a fresh broker id and returns the id. When the id
 * cannot be served (its listener does not bind, the broker has closed), `deps` are closed before the
 * error goes back, as Go closes the Resources it was given, so a host that retries leaks nothing.
 */
export async function serveNew(broker: Broker, services: Iterable<ServiceRegistration>, ...deps: Closer[]): Promise<number> {
  const id = broker.nextId();
  try {
    await broker.acceptAndServe(id, services);
  } catch (err) {
    await Promise.allSettled(deps.map(async (d) => d.close()));
    throw err;
  }
  return id;
}
