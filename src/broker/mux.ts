import { connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { tcpConnectOptions, type NetAddr } from "../rpc/net-addr.js";
import { YamuxSession, type SessionOptions } from "../yamux/index.js";

/**
 * What the broker needs from a multiplexed connection (go-plugin's GRPCMuxer):
 * open a stream to the peer, take a knock for a listener id, and route the
 * streams that follow knocks to the listener that asked for them.
 */
export interface BrokerMux {
  /** A new stream to the peer (the knock for it has been acked). */
  open(): Promise<Duplex>;
  /** The peer knocked on `id`: prepare to hand its next stream to that listener. "" or the error for the ack. */
  acceptKnock(id: number): string;
  /** Streams for `id` go to `onStream` until the returned function is called. */
  listen(id: number, onStream: (stream: Duplex) => void): () => void;
  /** Ends the session and the connection under it. */
  close(): void;
}

export class MuxError extends Error {
  override readonly name = "MuxError";
}

/** What both sides share: the listeners by broker id, and ending the session. */
abstract class MuxCarrier {
  protected session?: YamuxSession;
  protected readonly listeners = new Map<number, (s: Duplex) => void>();
  protected closed = false;

  listen(id: number, onStream: (s: Duplex) => void): () => void {
    this.listeners.set(id, onStream);
    return () => {
      if (this.listeners.get(id) === onStream) this.listeners.delete(id);
    };
  }

  close(): void {
    this.closed = true;
    this.session?.close();
  }
}

/**
 * The plugin's side (go-plugin's GRPCServerMuxer): the main listener takes
 * exactly one connection and runs a yamux server on it. Every stream the host
 * opens goes to the main gRPC server, except the one that follows an acked
 * knock, which goes to the brokered listener the knock named.
 */
export class ServerMux extends MuxCarrier implements BrokerMux {
  private readonly sessionReady: Promise<YamuxSession>;
  private readonly knocks: number[] = [];

  constructor(
    listener: NetServer,
    private readonly onMainStream: (s: Duplex) => void,
    private readonly log: (level: "debug" | "error", message: string) => void,
    opts: SessionOptions = {},
  ) {
    super();
    this.sessionReady = new Promise((resolve, reject) => {
      listener.once("connection", (sock: Socket) => {
        // One raw connection ever; later ones are refused, as Go accepts only once.
        listener.on("connection", (extra: Socket) => extra.destroy());
        log("debug", "initial server connection accepted");
        const s = new YamuxSession(sock, "server", { ...opts, log: (m) => log("debug", m) });
        this.session = s;
        if (this.closed) s.close();
        resolve(s);
        void this.acceptLoop(s);
      });
      listener.once("close", () => reject(new MuxError("listener closed before the host connected")));
    });
    this.sessionReady.catch(() => {});
  }

  private async acceptLoop(s: YamuxSession): Promise<void> {
    for (;;) {
      let stream: Duplex;
      try {
        stream = await s.accept();
      } catch {
        return;
      }
      const id = this.knocks.shift();
      if (id === undefined) {
        this.onMainStream(stream);
        continue;
      }
      const target = this.listeners.get(id);
      if (!target) {
        // Go stops its main server here; we refuse only this stream.
        this.log("error", `received knock on ID ${id} that doesn't have a listener`);
        stream.destroy();
        continue;
      }
      this.log("debug", `sending conn to brokered listener id=${id}`);
      target(stream);
    }
  }

  /** The session, once the host has connected (5 s, like Go). */
  private async ready(): Promise<YamuxSession> {
    if (this.session) return this.session;
    let timer!: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MuxError("timed out waiting for connection to be established")), 5000);
      timer.unref();
    });
    try {
      return await Promise.race([this.sessionReady, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async open(): Promise<Duplex> {
    return (await this.ready()).open();
  }

  acceptKnock(id: number): string {
    this.knocks.push(id);
    return "";
  }

}

/**
 * The host's side (go-plugin's GRPCClientMuxer): one connection to the
 * plugin's address, a yamux client on it. The host takes plugin-opened
 * streams only after acking a knock, one per knock, for the knocked listener.
 */
export class ClientMux extends MuxCarrier implements BrokerMux {
  private sessionPromise?: Promise<YamuxSession>;

  constructor(
    private readonly addr: NetAddr,
    private readonly opts: SessionOptions = {},
  ) {
    super();
  }

  /** Dials the plugin once; the session is shared by the main channel and every brokered one. */
  connect(): Promise<YamuxSession> {
    this.sessionPromise ??= new Promise<YamuxSession>((resolve, reject) => {
      if (this.closed) return reject(new MuxError("mux closed"));
      const sock =
        this.addr.network === "unix"
          ? netConnect(this.addr.address)
          : netConnect(tcpConnectOptions(this.addr.address));
      sock.setKeepAlive(true);
      sock.once("error", reject);
      sock.once("connect", () => {
        sock.off("error", reject);
        const s = new YamuxSession(sock, "client", this.opts);
        this.session = s;
        if (this.closed) s.close();
        resolve(s);
      });
    });
    return this.sessionPromise;
  }

  async open(): Promise<Duplex> {
    return (await this.connect()).open();
  }

  acceptKnock(id: number): string {
    const target = this.listeners.get(id);
    if (!target || !this.session) return `no listener for id ${id}`;
    this.session.accept().then(target, () => {});
    return "";
  }


  get isClosed(): boolean {
    return this.closed || (this.session?.isClosed ?? false);
  }
}

