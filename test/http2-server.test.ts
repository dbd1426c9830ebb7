// The library's own HTTP/2 server (src/rpc/http2/, the h2 engine's default
// without TLS) under requests no grpc-go client sends: a Go program writes
// frames one by one with golang.org/x/net/http2's Framer and hpack
// (interop/cmd/h2probe) and reports every frame the server answers with.
// Well-formed traffic from grpc-go itself is covered by rpc-semantics.test.ts
// and every go-plugin / LOOP suite.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { addServices, defaultHttp2, H2Server, HTTP2_ENV } from "../src/index.js";
import { semanticsService } from "./fixtures/semantics-service.js";
import { BIN, scratchDir } from "./helpers.js";

interface Probe {
  scenario: string;
  events: string[] | null;
  err?: string;
}

const OK_HEADERS = (id: number) => `headers:${id}::status=200,content-type=application/grpc:end=false`;
const OK_TRAILERS = (id: number) => `headers:${id}:grpc-status=0:end=true`;

/** What the server must do in each scenario, frame by frame ("eof": it closed the connection). */
const EXPECTED: Record<string, string[]> = {
  echo: [OK_HEADERS(1), OK_TRAILERS(1), "data-total:1:17"],
  // Not HTTP/2: nothing to answer in a language the peer speaks; the connection is closed.
  "not-http2": ["eof"],
  "first-frame-not-settings": ["goaway:0:PROTOCOL_ERROR", "eof"],
  // The PING is answered with its own payload before the call's frames.
  ping: ["ping-ack:probe-42", OK_HEADERS(1), OK_TRAILERS(1), "data-total:1:8"],
  // The frames before the oversized one are read (stream 1 was opened: GOAWAY names it).
  "oversized-frame": ["goaway:1:FRAME_SIZE_ERROR", "eof"],
  // A padded HEADERS with priority fields and three CONTINUATIONs (a 35 KB block), padded DATA.
  "split-padded-headers": [OK_HEADERS(1), OK_TRAILERS(1), "data-total:1:10"],
  // Over the 16 MiB header list limit (grpc-go's server default): that request is refused with
  // FRAME_SIZE_ERROR as grpc-go's server does; the block was decoded, so the connection goes on.
  "header-list-too-large-then-good": ["rst:1:FRAME_SIZE_ERROR", OK_HEADERS(3), OK_TRAILERS(3), "data-total:3:13"],
  "interleaved-continuation": ["goaway:0:PROTOCOL_ERROR", "eof"],
  "bad-hpack-index": ["goaway:0:COMPRESSION_ERROR", "eof"],
  "even-stream": ["goaway:0:PROTOCOL_ERROR", "eof"],
  // A malformed request is a stream error; the connection serves the next one.
  "malformed-request-then-good": ["rst:1:PROTOCOL_ERROR", OK_HEADERS(3), OK_TRAILERS(3), "data-total:3:9"],
  "stream-window-overrun": [OK_HEADERS(1), "rst:1:FLOW_CONTROL_ERROR"],
  "connection-window-overflow": ["goaway:0:FLOW_CONTROL_ERROR", "eof"],
  // A 100 009-byte answer through a 1000-byte stream window: never past the window (the probe
  // records "window-exceeded" otherwise), all of it delivered as the client credits it.
  "small-client-window": [OK_HEADERS(1), OK_TRAILERS(1), "data-total:1:100009"],
  // The call in flight when the client said GOAWAY is answered; then the server closes.
  "goaway-from-client": [OK_HEADERS(1), OK_TRAILERS(1), "eof"],
  // Late DATA on a stream the client reset is dropped; the connection goes on.
  "rst-then-new-stream": [OK_HEADERS(3), OK_TRAILERS(3), "data-total:3:12"],
};

describe("the library's HTTP/2 server frame by frame against golang.org/x/net/http2 (h2probe)", () => {
  const dir = scratchDir();
  let server: H2Server;
  let probes: Probe[];

  beforeAll(async () => {
    server = new H2Server({ http2: "js" });
    addServices(server, [semanticsService(() => {})]);
    const sock = join(dir.path, "s");
    await server.listen({ path: sock });
    const { stdout } = await promisify(execFile)(join(BIN, "h2probe"), ["-sock", sock], { timeout: 120_000 });
    probes = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Probe);
  }, 150_000);

  afterAll(async () => {
    await server.tryShutdown(1000);
    dir.remove();
  });

  test("the probe ran every scenario", () => {
    expect(probes.map((p) => p.scenario).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.keys(EXPECTED))("%s", (name) => {
    const p = probes.find((x) => x.scenario === name)!;
    expect(p.err).toBeUndefined();
    expect(p.events).toEqual(EXPECTED[name]);
  });
});

describe(`${HTTP2_ENV} chooses the h2 server's HTTP/2 implementation`, () => {
  const saved = process.env[HTTP2_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[HTTP2_ENV];
    else process.env[HTTP2_ENV] = saved;
  });

  test("unset or empty: the library's own; js and node as named; anything else is refused by name", () => {
    delete process.env[HTTP2_ENV];
    expect(defaultHttp2()).toBe("js");
    process.env[HTTP2_ENV] = "";
    expect(defaultHttp2()).toBe("js");
    process.env[HTTP2_ENV] = "node";
    expect(defaultHttp2()).toBe("node");
    process.env[HTTP2_ENV] = "nghttp2";
    expect(() => defaultHttp2()).toThrow(`${HTTP2_ENV}="nghttp2": expected "js" or "node"`);
    expect(() => new H2Server()).toThrow(RangeError);
  });
});
