/** The part of a client connection (node:http2's or the library's own) keepalive uses. */
export interface PingableSession {
  readonly destroyed: boolean;
  /** False when the PING could not be sent (too many unanswered). */
  ping(cb: (err: Error | null) => void): boolean;
}

/** Client keepalive: a PING `timeMs` after calls became active (and after each answer), `timeoutMs` for its ACK. */
export interface KeepaliveSettings {
  timeMs: number;
  timeoutMs: number;
}

/** The message grpc-go gives calls on a connection whose keepalive PING went unanswered. */
export const KEEPALIVE_TIMEOUT_DETAILS = "keepalive ping failed to receive ACK within timeout";

/**
 * Keepalive of one client connection, timed as grpc-js times it: the timer
 * starts when the first call becomes active and restarts only after an ACK, so
 * consecutive PINGs are at least `timeMs` apart (a grpc-go server counts a
 * strike for each PING closer than its MinTime and sends GOAWAY
 * ENHANCE_YOUR_CALM after the third). No PING goes out while no call is
 * active; a timer that ran out while idle pings as soon as a call starts.
 */
export class SessionKeepalive {
  private timer?: NodeJS.Timeout;
  private owed = false;
  private active = 0;
  private stopped = false;

  constructor(
    private readonly session: PingableSession,
    private readonly settings: KeepaliveSettings,
    /** The connection is dead: called once, with the reason for its calls' UNAVAILABLE. */
    private readonly onDead: (details: string) => void,
  ) {}

  callStarted(): void {
    if (++this.active === 1) this.arm();
  }

  callEnded(): void {
    this.active--;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped || this.timer || this.active === 0 || this.session.destroyed) return;
    if (this.owed) {
      this.owed = false;
      return this.ping();
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.active > 0) this.ping();
      else this.owed = true;
    }, this.settings.timeMs);
    this.timer.unref();
  }

  private ping(): void {
    this.timer = setTimeout(() => this.dead(KEEPALIVE_TIMEOUT_DETAILS), this.settings.timeoutMs);
    this.timer.unref();
    let sent = false;
    try {
      sent = this.session.ping((err) => {
        if (this.stopped) return;
        clearTimeout(this.timer);
        this.timer = undefined;
        // A PING cancelled by the session's own end is that end's business, not ours.
        if (err) return this.session.destroyed ? undefined : this.dead(`keepalive ping failed: ${err.message}`);
        this.arm();
      });
    } catch (err) {
      return this.dead(`keepalive ping could not be sent: ${(err as Error).message}`);
    }
    if (!sent) this.dead("keepalive ping could not be sent: too many PINGs unanswered");
  }

  private dead(details: string): void {
    if (this.stopped) return;
    this.stop();
    this.onDead(details);
  }
}
