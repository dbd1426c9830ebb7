import { Duplex } from "node:stream";

/**
 * A byte stream usable at once whose far end comes later from `open()` (a
 * multiplexed stream that needs a knock and an ack first): writes wait for it,
 * reads come from it, and a failed `open()` destroys this stream with that
 * error. HTTP/2 and TLS need their socket synchronously; this is that socket.
 */
export class DeferredDuplex extends Duplex {
  private inner?: Duplex;
  private ended = false;
  private readonly ready: Promise<Duplex>;

  constructor(open: () => Promise<Duplex>) {
    super();
    this.ready = open().then(
      (s) => {
        if (this.destroyed) {
          s.destroy();
          throw new Error("stream closed before it was opened");
        }
        this.attach(s);
        return s;
      },
      (err: Error) => {
        this.destroy(err);
        throw err;
      },
    );
    this.ready.catch(() => {});
  }

  private attach(s: Duplex): void {
    this.inner = s;
    s.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) s.pause();
    });
    s.once("end", () => {
      this.ended = true;
      this.push(null);
    });
    s.on("error", (err) => this.destroy(err));
    // A far end gone without an orderly end of its data is a reset for us too.
    s.once("close", () => !this.ended && this.destroy());
  }

  override _read(): void {
    this.inner?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.inner) this.inner.write(chunk, cb);
    else this.ready.then((s) => s.write(chunk, cb), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ready.then((s) => s.end(() => cb()), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner?.destroy();
    cb(err);
  }
}
