// The TypeScript yamux against hashicorp/yamux v0.1.2 (go-plugin v1.8.0's pin), frame by frame.
import { execFile } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { Flag, FrameReader, FrameType, YamuxSession, type FrameHeader, type SessionOptions, type YamuxStream } from "../src/yamux/index.js";
import { BIN, scratchDir } from "./helpers.js";

const PEER = join(BIN, "yamux-peer");

interface Tapped {
  sent: FrameHeader[];
  received: FrameHeader[];
}

/** Records every frame header crossing `sock`, both ways, without touching the data. */
function tap(sock: Socket): Tapped {
  const t: Tapped = { sent: [], received: [] };
  const inbound = new FrameReader();
  sock.on("data", (c: Buffer) => t.received.push(...inbound.push(c).map((f) => f.header)));
  const outbound = new FrameReader();
  const write = sock.write.bind(sock) as (chunk: Buffer) => boolean;
  (sock as unknown as { write: (c: Buffer) => boolean }).write = (c: Buffer) => {
    t.sent.push(...outbound.push(Buffer.from(c)).map((f) => f.header));
    return write(c);
  };
  return t;
}

/**
 * Runs the Go peer against a TS session on a fresh unix socket. `drive` gets
 * the TS session; the Go peer's JSON report comes back with the tapped frames.
 */
async function withGoPeer(
  args: string[],
  role: "client" | "server",
  drive: (s: YamuxSession) => Promise<void>,
  opts: SessionOptions = {},
): Promise<{ report: Record<string, any>; frames: Tapped; session: YamuxSession }> {
  const dir = scratchDir();
  const path = join(dir.path, "y.sock");
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const conn = new Promise<Socket>((r) => server.once("connection", r));
    const report = new Promise<Record<string, any>>((resolve, reject) =>
      execFile(PEER, ["-connect", path, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
        } catch {
          reject(new Error(`yamux-peer gave no JSON (${err?.message}): ${stdout} ${stderr}`));
        }
      }),
    );
    const sock = await conn;
    const frames = tap(sock);
    const session = new YamuxSession(sock, role, opts);
    const driven = drive(session);
    const r = await report;
    await driven;
    session.close();
    return { report: r, frames, session };
  } finally {
    server.close();
    dir.remove();
  }
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 251;
  return b;
}

async function readAll(s: YamuxStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Echoes every stream the peer opens until the session ends. */
async function echoAll(s: YamuxSession): Promise<number> {
  let n = 0;
  for (;;) {
    let st: YamuxStream;
    try {
      st = await s.accept();
    } catch {
      return n;
    }
    n++;
    // A peer that closes its session with echo streams still open cuts them: that is the session's
    // documented "session shutdown" error, not a failure of the echo.
    st.on("error", () => {});
    st.pipe(st);
  }
}

describe("yamux: TS against Go hashicorp/yamux", () => {
  test("TS client opens streams to a Go server: SYN, ACK, data across window updates, FIN both ways", async () => {
    const size = 1024 * 1024; // four times the 256 KiB window
    const { report, frames } = await withGoPeer(["-role", "server", "-scenario", "echo"], "client", async (s) => {
      const results = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const st = s.open();
          const want = pattern(size, i);
          const got = readAll(st);
          st.end(want);
          const back = await got;
          expect(back.equals(want)).toBe(true);
          return st.id;
        }),
      );
      expect(results).toEqual([1, 3, 5]);
      s.close();
    });
    expect(report.ok).toBe(true);
    expect(report.streams).toBe(3);
    expect(report.bytes).toBe(3 * size);
    // Opening is a WindowUpdate with SYN and delta 0; the Go side answers with ACK when it accepts.
    const syn = frames.sent.filter((h) => h.flags & Flag.SYN);
    expect(syn.map((h) => [h.type, h.streamId, h.length])).toEqual([
      [FrameType.WindowUpdate, 1, 0],
      [FrameType.WindowUpdate, 3, 0],
      [FrameType.WindowUpdate, 5, 0],
    ]);
    const acks = frames.received.filter((h) => h.flags & Flag.ACK && h.type === FrameType.WindowUpdate);
    expect(acks.map((h) => h.streamId).sort()).toEqual([1, 3, 5]);
    // No data frame ever exceeds the 256 KiB window, and both sides granted window back.
    expect(Math.max(...frames.sent.filter((h) => h.type === FrameType.Data).map((h) => h.length))).toBeLessThanOrEqual(256 * 1024);
    expect(frames.sent.some((h) => h.type === FrameType.WindowUpdate && h.flags === 0 && h.length > 0)).toBe(true);
    expect(frames.received.some((h) => h.type === FrameType.WindowUpdate && h.flags === 0 && h.length > 0)).toBe(true);
    // Each stream ends with a FIN from each side.
    for (const id of [1, 3, 5]) {
      expect(frames.sent.some((h) => h.streamId === id && h.flags & Flag.FIN)).toBe(true);
      expect(frames.received.some((h) => h.streamId === id && h.flags & Flag.FIN)).toBe(true);
    }
    expect(frames.sent.some((h) => h.flags & Flag.RST)).toBe(false);
  });

  test("Go client opens 100 concurrent streams to a TS server, which ACKs on accept and echoes", async () => {
    let accepted = 0;
    const { report, frames, session } = await withGoPeer(
      ["-role", "client", "-scenario", "open", "-n", "100", "-size", "300000"],
      "server",
      async (s) => {
        accepted = await echoAll(s);
      },
    );
    expect(report.ok).toBe(true);
    expect(accepted).toBe(100);
    const ids: number[] = report.ids;
    expect(ids.every((id) => id % 2 === 1)).toBe(true);
    // The ACK for each stream is ours, sent when it was accepted.
    const acked = frames.sent.filter((h) => h.type === FrameType.WindowUpdate && h.flags & Flag.ACK).map((h) => h.streamId);
    expect(acked.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect(session.numStreams).toBe(0);
  });

  test("TS answers Go's pings with the same value; Go answers TS's", async () => {
    const { report, frames } = await withGoPeer(["-role", "server", "-scenario", "ping"], "client", async (s) => {
      const signalled = s.accept().then(async (st) => {
        const got = await readAll(st);
        await new Promise((r) => st.end(r)); // our FIN too, so closing the session cuts nothing
        return got;
      });
      const [rtt, done] = await Promise.all([s.ping(), signalled]);
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(done.toString()).toBe("pinged");
      s.close();
    });
    expect(report.ok).toBe(true);
    const theirs = frames.received.filter((h) => h.type === FrameType.Ping && h.flags & Flag.SYN).map((h) => h.length);
    const ours = frames.sent.filter((h) => h.type === FrameType.Ping && h.flags & Flag.ACK).map((h) => h.length);
    expect(theirs.length).toBe(5);
    expect(ours).toEqual(theirs);
  });

  test("keepalive both ways: Go pings every 100 ms, TS every 100 ms; the session stays up", async () => {
    const { report, frames } = await withGoPeer(
      ["-role", "client", "-scenario", "keepalive", "-keepalive", "100ms", "-hold", "1s"],
      "server",
      async (s) => {
        await echoAll(s);
      },
      { keepAliveIntervalMs: 100 },
    );
    expect(report.ok).toBe(true);
    expect(report.logs).not.toMatch(/keepalive failed/);
    expect(frames.received.filter((h) => h.type === FrameType.Ping && h.flags & Flag.SYN).length).toBeGreaterThanOrEqual(3);
    expect(frames.received.filter((h) => h.type === FrameType.Ping && h.flags & Flag.ACK).length).toBeGreaterThanOrEqual(3);
  });

  test("TS GoAway: Go can no longer open streams", async () => {
    const { report, frames } = await withGoPeer(["-role", "client", "-scenario", "goaway-recv"], "server", async (s) => {
      s.goAway();
      await s.closed();
    });
    expect(report.ok).toBe(true);
    expect(report.open_error).toBe("remote end is not accepting connections");
    expect(frames.sent.filter((h) => h.type === FrameType.GoAway).map((h) => h.length)).toEqual([0]);
  });

  test("Go GoAway: Go resets a stream opened after it, TS open() then fails; close ends the streams", async () => {
    const { frames } = await withGoPeer(["-role", "server", "-scenario", "goaway-send"], "client", async (s) => {
      const before = s.open();
      const reset = readAll(before).then(
        () => "ended",
        (e: Error) => e.message,
      );
      for (let i = 0; i < 100 && !(await tryOpenFails(s)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(() => s.open()).toThrow(/remote end is not accepting connections/);
      expect(await reset).toBe("yamux: stream 1 reset by peer");
      s.close();
    });
    expect(frames.received.some((h) => h.type === FrameType.GoAway && h.length === 0)).toBe(true);
    expect(frames.received.some((h) => h.streamId === 1 && h.flags & Flag.RST)).toBe(true);
  });

  test("closing the session ends its open streams with an error", async () => {
    await withGoPeer(["-role", "server", "-scenario", "echo"], "client", async (s) => {
      const st = s.open();
      st.write("x");
      const ended = readAll(st).catch((e: Error) => e.message);
      s.close();
      expect(await ended).toBe("yamux: session shutdown");
    });
  });

  test("a frame with a bad version ends the TS session with a protocol error", async () => {
    const { frames } = await withGoPeer(["-role", "server", "-scenario", "echo"], "client", async (s) => {
      // The Go side sends a bad header only if we do: feed one into our own reader path instead.
      const closed = s.closed();
      (s as unknown as { onChunk(c: Buffer): void }).onChunk(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      expect((await closed).message).toMatch(/invalid protocol version: 1/);
    });
    expect(frames.sent.length).toBe(0);
  });
});

async function tryOpenFails(s: YamuxSession): Promise<boolean> {
  try {
    const st = s.open();
    st.on("error", () => {});
    st.destroy();
    return false;
  } catch {
    return true;
  }
}
