import { connect } from "node:net";
import { serveMetrics } from "./metrics.js";

test("close() cuts a scraper that never finished its request instead of waiting for it", async () => {
  const m = await serveMetrics(0);
  const sock = connect(m.port, "127.0.0.1");
  sock.on("error", () => {});
  const cut = new Promise<void>((r) => sock.once("close", () => r()));
  await new Promise((r) => sock.once("connect", r));
  sock.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"); // no blank line: the request never ends
  await new Promise((r) => setTimeout(r, 50));
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([m.close().then(() => (closed = true)), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    expect(closed).toBe(true);
    await cut;
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
});
