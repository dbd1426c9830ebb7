import { Code, RpcError } from "../../rpc/status.js";
import type { Channel } from "../../rpc/client.js";
import type { Broker } from "../../broker/broker.js";
import type { Client } from "../../goplugin/client.js";
import type { Closer } from "./lazy-connection.js";

/**
 * One launch of a plugin process and everything the host made for it: the
 * go-plugin client, its main channel and broker, and the listeners, channels
 * and streams the kind-specific create step owns. A generation never comes
 * back: when its process dies or stops answering, it is released as a whole
 * and a new one is built. `ended` lets work tied to it stop at once.
 */
export class Generation {
  private readonly resources: Closer[] = [];
  private readonly abort = new AbortController();
  private released?: Promise<void>;
  /** Why this generation ended (set once). */
  endReason?: string;

  constructor(
    /** 1 for the first launch, then one more per relaunch. */
    readonly number: number,
    readonly client: Client,
    readonly channel: Channel,
    readonly broker: Broker,
  ) {}

  get ended(): AbortSignal {
    return this.abort.signal;
  }

  /** Ties `r` to this generation: it is closed when the generation is released. */
  own<T extends Closer>(r: T): T {
    if (this.released) {
      void r.close();
      // UNAVAILABLE: the plugin went while this was being made, and a supervised call retries that.
      throw new RpcError(Code.UNAVAILABLE, `generation ${this.number} already released`);
    }
    this.resources.push(r);
    return r;
  }

  /** Marks the generation dead with a reason; the first reason wins. */
  end(reason: string): void {
    if (this.abort.signal.aborted) return;
    this.endReason = reason;
    this.abort.abort(new Error(reason));
  }

  /** Ends it, closes what it owns (newest first), then stops the process. Idempotent. */
  release(reason = "released"): Promise<void> {
    this.end(reason);
    this.released ??= (async () => {
      for (const r of this.resources.splice(0).reverse()) {
        try {
          await r.close();
        } catch {
          // the peer is gone; closing is best effort and must not stop the rest
        }
      }
      await this.client.kill();
    })();
    return this.released;
  }
}
