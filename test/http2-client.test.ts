// The h2 engine's channel (H2Channel) on the library's own HTTP/2 client
// (src/rpc/http2/client-session.ts, the default) and on node:http2, against a
// Go server that answers in ways grpc-go's server does not: interop/cmd/h2probe
// -serve writes frames one by one with golang.org/x/net/http2's Framer and
// hpack, and prints what the client did. Both implementations must give every
// call the same status; the own client's frames are checked too. Well-formed
// traffic from grpc-go's server is covered by every go-plugin and LOOP suite.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { H2Channel, Metadata, type Http2Implementation } from "../src/index.js";
import { BIN, scratchDir } from "./helpers.js";

interface CallResult {
  code: number;
  details: string;
  /** Lengths of the messages received. */
  messages: number[];
  headers?: Record<string, string>;
  trailers: Record<string, string>;
}

interface Run {
  calls: CallResult[];
  /** What the probe saw, "<connection> <event>". */
  events: string[];
}

function summary(md: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of md) out[k] = typeof v === "string" && v.length > 40 ? `${v.length} chars` : String(v);
  return out;
}

function call(ch: H2Channel, body: number): Promise<CallResult> {
  return new Promise((resolve) => {
    const messages: number[] = [];
    let headers: Record<string, string> | undefined;
    const c = ch.start(
      "/probe.Raw/Call",
      {
        onHeaders: (md) => (headers = summary(md)),
        onMessage: (m) => messages.push(m.length),
        onStatus: (s) => resolve({ code: s.code, details: s.details, messages, headers, trailers: summary(s.metadata) }),
      },
      { deadline: Date.now() + 15_000 },
    );
    c.sendLast(Buffer.alloc(body, 0x61));
  });
}

/**
 * Serves `scenario` with h2probe, runs `calls` on a fresh channel of `impl`, closes it, waits for
 * the probe to see the end of its `connections`, and returns what both saw.
 */
async function run(scenario: string, impl: Http2Implementation, calls: (ch: H2Channel) => Promise<CallResult[]>, connections: number): Promise<Run> {
  const dir = scratchDir();
  const sock = join(dir.path, "s");
  const probe: ChildProcess = spawn(join(BIN, "h2probe"), ["-serve", sock, "-scenario", scenario], { stdio: ["ignore", "pipe", "inherit"] });
  const events: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: probe.stdout! });
      lines.on("line", (l) => (l === "listening" ? resolve() : events.push(l)));
      probe.once("exit", (code) => reject(new Error(`h2probe exited (${code}) before listening`)));
    });
    const ch = new H2Channel({ network: "unix", address: sock }, { http2: impl });
    const results = await calls(ch);
    ch.close();
    // The connections' ends reach the probe, and its lines reach us, a moment later.
    const end = Date.now() + 15_000;
    while (events.filter((e) => e.endsWith(" eof")).length < connections && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return { calls: results, events };
  } finally {
    probe.kill();
    if (probe.exitCode === null) await new Promise((r) => probe.once("exit", r));
    dir.remove();
  }
}

const one = (body: number) => (ch: H2Channel) => Promise.all([call(ch, body)]);
const two = (ch: H2Channel) => Promise.all([call(ch, 3), call(ch, 4)]);

const OK = { code: 0, details: "" };
const GRPC_HEADERS = { "content-type": "application/grpc" };
/** What the own client sends first on every connection: push off, 4 MiB stream window, then a 16 MiB connection window. */
const OPENING = (n: number) => [`${n} settings:push=0,window=4194304`, `${n} conn-window:+${16 * 1024 * 1024 - 65535}`];

const SCENARIOS: Record<string, { calls: (ch: H2Channel) => Promise<CallResult[]>; expect: Partial<CallResult>[]; events: string[] }> = {
  echo: {
    calls: one(10),
    expect: [{ ...OK, messages: [10], headers: GRPC_HEADERS }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:15", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  // A 40 000-byte header split over HEADERS (padded, with priority fields) and CONTINUATIONs,
  // padded DATA, trailers split over HEADERS and a CONTINUATION.
  "split-padded": {
    calls: one(10),
    expect: [{ ...OK, messages: [10], headers: { ...GRPC_HEADERS, "x-long": "40000 chars" }, trailers: { "x-trailer": "t" } }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:15", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  "trailers-only": {
    calls: one(1),
    expect: [{ code: 5, details: "not here", messages: [] }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:6", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  "rst-before-response": {
    calls: one(1),
    expect: [{ code: 14, details: "stream terminated by RST_STREAM with error code: 2", messages: [] }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:6", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  "rst-after-response": {
    calls: one(1),
    expect: [{ code: 13, details: "stream terminated by RST_STREAM with error code: 2", messages: [] }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:6", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  // GOAWAY names stream 1: stream 3 was never processed (REFUSED_STREAM), so its call is
  // sent again on a new connection (transparent retry) and succeeds there.
  "goaway-refuse": {
    calls: two,
    expect: [
      { ...OK, messages: [3] },
      { ...OK, messages: [4] },
    ],
    events: [
      ...OPENING(1),
      "1 request:1:POST:http:/probe.Raw/Call",
      "1 request:3:POST:http:/probe.Raw/Call",
      "1 request-end:1:8",
      "1 request-end:3:9",
      "1 goaway:0:NO_ERROR",
      "1 eof",
      ...OPENING(2),
      "2 request:1:POST:http:/probe.Raw/Call",
      "2 request-end:1:9",
      "2 goaway:0:NO_ERROR",
      "2 eof",
    ],
  },
  // An error GOAWAY mid-call takes the connection down with the call, which says why.
  "goaway-error": {
    calls: one(1),
    expect: [{ code: 14, details: 'connection error: received goaway: code 11, debug data: "too_many_pings"', messages: [] }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:6", "1 goaway:0:NO_ERROR", "1 eof"],
  },
  // A 1000-byte stream window (the server's SETTINGS): 100 005 bytes sent as the server credits them, never past it.
  "tiny-window": {
    calls: one(100_000),
    expect: [{ ...OK, messages: [100_000] }],
    events: [...OPENING(1), "1 request:1:POST:http:/probe.Raw/Call", "1 request-end:1:100005", "1 goaway:0:NO_ERROR", "1 eof"],
  },
};

describe("H2Channel against a Go HTTP/2 server answering frame by frame (h2probe -serve)", () => {
  const runs = new Map<string, Run>();

  beforeAll(async () => {
    for (const impl of ["js", "node"] as const) {
      for (const [name, s] of Object.entries(SCENARIOS)) {
        runs.set(`${name}/${impl}`, await run(name, impl, s.calls, s.events.filter((e) => e.endsWith(" eof")).length));
      }
    }
  }, 240_000);

  test.each(Object.keys(SCENARIOS))("%s: the calls' statuses, on both HTTP/2 clients", (name) => {
    const js = runs.get(`${name}/js`)!;
    const node = runs.get(`${name}/node`)!;
    js.calls.forEach((c, i) => expect(c).toMatchObject(SCENARIOS[name]!.expect[i]!));
    expect(js.calls.map(({ code, details, messages }) => ({ code, details, messages }))).toEqual(
      node.calls.map(({ code, details, messages }) => ({ code, details, messages })),
    );
  });

  test.each(Object.keys(SCENARIOS))("%s: the own client's frames as the Go server saw them", (name) => {
    // Connections run side by side: each one's events in order, connection by connection.
    const events = [...runs.get(`${name}/js`)!.events].sort((a, b) => parseInt(a) - parseInt(b));
    expect(events.filter((e) => !e.includes("window-exceeded"))).toEqual(SCENARIOS[name]!.events);
    expect(events.filter((e) => e.includes("window-exceeded"))).toEqual([]);
  });
});
