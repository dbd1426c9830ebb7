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
