import type { Channel } from "../../rpc/client.js";
import type { Broker } from "../../broker/broker.js";

/** Something a connection owns and must release: a brokered listener, a channel. */
export interface Closer {
  close(): void | Promise<void>;
}

/**
 * A brokered connection made on first use, as chainlink-common's clientConn:
 * `factory` serves what the remote side needs, calls the remote factory RPC
 * and returns the id it answered with; that id is then dialed. Concurrent
 * first uses share one attempt; a failed attempt releases what it served and
 * the next use tries again.
 */
export class LazyConnection {
  private pending?: Promise<Channel>;
  private resources: Closer[] = [];
  private ch?: Channel;
  private closed = false;
  id?: number;

  constructor(
    readonly name: string,
    private readonly broker: () => Promise<Broker>,
    private readonly factory: (serve: (r: Closer) => void) => Promise<number>,
  ) {}

  channel(): Promise<Channel> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: connection closed`));
    this.pending ??= this.connect().catch(async (err) => {
      this.pending = undefined;
      await this.release();
      throw err;
    });
    return this.pending;
  }

  private async connect(): Promise<Channel> {
    const broker = await this.broker();
    const id = await this.factory((r) => this.resources.push(r));
    this.id = id;
    this.ch = await broker.dial(id);
    return this.ch;
  }

  private async release(): Promise<void> {
    const rs = this.resources.splice(0);
    for (const r of rs.reverse()) await r.close();
  }

  /** Closes the channel and everything served for it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending?.catch(() => {});
    this.ch?.close();
    await this.release();
  }
}
