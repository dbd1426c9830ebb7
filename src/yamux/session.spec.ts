import { Duplex } from "node:stream";
import { YamuxSession } from "./session.js";

/** A connection that accepts every write and never answers. */
function silentPeer(): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _enc, done) {
      done();
    },
  });
}

describe("YamuxSession", () => {
  test("a ping still unanswered when the session closes rejects with the close reason", async () => {
    const s = new YamuxSession(silentPeer(), "client", { keepAliveIntervalMs: 0, pingTimeoutMs: 60_000 });
    const ping = s.ping();
    s.close();
    await expect(ping).rejects.toMatchObject({ message: "yamux: session shutdown" });
  });

  test("a ping unanswered within pingTimeoutMs rejects with the deadline", async () => {
    const s = new YamuxSession(silentPeer(), "client", { keepAliveIntervalMs: 0, pingTimeoutMs: 20 });
    await expect(s.ping()).rejects.toMatchObject({ message: "yamux: i/o deadline reached" });
    s.close();
  });

  test("ping on a closed session rejects at once", async () => {
    const s = new YamuxSession(silentPeer(), "client", { keepAliveIntervalMs: 0 });
    s.close();
    await expect(s.ping()).rejects.toMatchObject({ message: "yamux: session shutdown" });
  });
});

describe("YamuxStream", () => {
  test("a write waiting for send window when the session closes calls back with the close reason", async () => {
    const s = new YamuxSession(silentPeer(), "client", { keepAliveIntervalMs: 0 });
    const st = s.open();
    st.on("error", () => {});
    // One byte past the 256 KiB initial window: the last of it waits for a window update that never comes.
    const wrote = new Promise<Error | null | undefined>((r) => st.write(Buffer.alloc(256 * 1024 + 1), r));
    const ended = new Promise<void>((r) => st.end(r));
    await new Promise((r) => setImmediate(r));
    s.close();
    expect(await wrote).toMatchObject({ code: "SESSION_CLOSED" });
    await ended;
  });

  test("a write waiting for send window when the stream is destroyed calls back with 'stream closed'", async () => {
    const s = new YamuxSession(silentPeer(), "client", { keepAliveIntervalMs: 0 });
    const st = s.open();
    st.on("error", () => {});
    const wrote = new Promise<Error | null | undefined>((r) => st.write(Buffer.alloc(256 * 1024 + 1), r));
    await new Promise((r) => setImmediate(r));
    st.destroy();
    expect(await wrote).toMatchObject({ code: "CLOSED", message: "yamux: stream closed" });
    s.close();
  });
});
