import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * The plugin's Prometheus endpoint on CL_PROMETHEUS_PORT (0: any free port),
 * serving `/metrics` like a Go LOOP plugin; the host scrapes and proxies it.
 */
export async function serveMetrics(port: number, registry: Registry = defaultRegistry()): Promise<{ port: number; registry: Registry; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end("404 page not found\n");
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { "Content-Type": registry.contentType }).end(body);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    registry,
    // Like Go's http.Server.Close: open connections go too, even one that never sent a whole request
    // (close() alone would wait for it, and the plugin with it).
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function defaultRegistry(): Registry {
  const r = new Registry();
  collectDefaultMetrics({ register: r });
  return r;
}
