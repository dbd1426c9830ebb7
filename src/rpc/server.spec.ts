import http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { generateCert } from "../goplugin/mtls-cert.js";
import { GRPCStdio, StdioData_Channel } from "../gen/plugin/grpc_stdio_pb.js";
import { createServer, stopServer } from "./engine.js";
import { H2Server } from "./h2-server.js";
import type { Http2Implementation } from "./h2-implementation.js";
import { addServices, service } from "./server.js";
import { bindServer } from "./transport.js";

/** One gRPC request over node:http2 to `server`; resolves with the client stream's end. */
async function callOnce(port: number, path: string, opts: { onResponse?: (req: http2.ClientHttp2Stream) => void } = {}) {
  const c = http2.connect(`http://127.0.0.1:${port}`);
  c.on("error", () => {});
  const req = c.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  req.on("error", () => {});
  req.on("response", () => opts.onResponse?.(req));
  req.end(Buffer.from([0, 0, 0, 0, 0])); // one empty message
  await new Promise<void>((r) => req.once("close", () => r()));
  c.destroy();
  return req;
}

describe.each<Http2Implementation>(["js", "node"])("H2Server (http2 %s)", (http2Impl) => {
  test("a connection cut in the same tick as the handler's answer ends the call quietly (no throw from a destroyed stream)", async () => {
    const server = new H2Server({ http2: http2Impl });
    const answered: string[] = [];
    server.registerRaw("/t.S/Async", async () => {
      await null;
      server.forceShutdown();
      answered.push("async");
      return Buffer.from("late");
    });
    const port = (await server.listen({ host: "127.0.0.1", port: 0 }))!;
    await callOnce(port, "/t.S/Async");
    // The answer's reply() ran after the cut; a throw there is an unhandled rejection that fails this test.
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toEqual(["async"]);
  });
});

describe.each<Http2Implementation>(["js", "node"])("H2Server over TLS (http2 %s)", (http2Impl) => {
  test("shutdown cuts a connection stalled in its TLS handshake instead of waiting for it", async () => {
    const cert = await generateCert();
    const server = new H2Server({ http2: http2Impl, tls: { ca: cert.certPem, cert: cert.certPem, key: cert.keyPem } });
    const port = (await server.listen({ host: "127.0.0.1", port: 0 }))!;
    const raw = netConnect(port, "127.0.0.1");
    raw.on("error", () => {});
    const cut = new Promise<void>((r) => raw.once("close", () => r()));
    await new Promise((r) => raw.once("connect", r));
    raw.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, and then nothing
    await new Promise((r) => setTimeout(r, 50));
    let stopped = false;
    const stopping = server.tryShutdown(100).then(() => (stopped = true));
    await cut;
    await stopping;
    expect(stopped).toBe(true);
  });
});

type ServerKind = { engine: "h2"; http2: Http2Implementation } | { engine: "grpc-js" };

describe.each<ServerKind>([
  { engine: "h2", http2: "js" },
  { engine: "h2", http2: "node" },
  { engine: "grpc-js" },
])("server streaming ($engine $http2)", (kind) => {
  test("a call cancelled while waiting for the client to read asks its generator for nothing more", async () => {
    const server = createServer(kind);
    let produced = 0;
    let producedAtAbort = -1;
    let released!: () => void;
    const finished = new Promise<void>((r) => (released = r));
    addServices(server, [
      service(GRPCStdio, {
        streamStdio: async function* (_req, ctx) {
          ctx.signal.addEventListener("abort", () => (producedAtAbort = produced), { once: true });
          try {
            for (;;) {
              produced++;
              yield { channel: StdioData_Channel.STDOUT, data: new Uint8Array(16 * 1024) };
            }
          } finally {
            released();
          }
        },
      }),
    ]);
    const bound = await bindServer(server, { network: "tcp" });
    try {
      // The client never reads: the server fills the windows and waits for a drain, then the client cancels.
      await callOnce(Number(bound.addr.address.split(":")[1]), "/plugin.GRPCStdio/StreamStdio", {
        onResponse: (req) => {
          req.pause();
          setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), 100);
        },
      });
      await finished;
      expect(producedAtAbort).toBeGreaterThan(0);
      expect(produced).toBe(producedAtAbort);
    } finally {
      await stopServer(server, false);
      bound.release();
    }
  });
});
