import { BrokerError } from "../../broker/broker.js";
import { Code, RpcError } from "../../rpc/status.js";
import type { CallOptions } from "../../rpc/client.js";
import { Generation } from "./generation.js";
import { launchClient, type LoopEvent, type LoopLaunchConfig } from "./launch.js";
import type { HandshakeConfig } from "../../goplugin/handshake.js";
import type { Client } from "../../goplugin/client.js";

/** What Go's PluginService reports while no generation is up (ErrPluginUnavailable's text). */
export const PLUGIN_UNAVAILABLE = "plugin unavailable";

/** How a LOOP host keeps its plugin alive. Every field has the Go host's value as default, except where noted. */
export interface SupervisionOptions {
  /** Health ping period (go-plugin's health service); 0 turns the tick off. Default 5000, Go's KeepAliveTickDuration. */
  pingIntervalMs?: number;
  /** A ping slower than this counts as failed. Go has no limit, so a hung plugin stalls it; default 2000. */
  pingTimeoutMs?: number;
  /** First delay before relaunching after a failure that follows another one. Default 100. */
  backoffInitialMs?: number;
  /** The delay doubles per consecutive failure up to this. Default 5000. */
  backoffMaxMs?: number;
  /** A generation that stayed up this long resets the backoff: its failure relaunches at once. Default 10000. */
  healthyAfterMs?: number;
  /** Calls made while the plugin is down fail at once with UNAVAILABLE instead of waiting for the next generation. */
  failFast?: boolean;
  /** How long a call without its own deadline waits for the next generation. Default 10000. */
  waitMs?: number;
}

export interface PluginServiceConfig<S> {
  /** Names the service in health reports and errors ("RelayerService"). */
  name: string;
  /** The go-plugin plugin name (the Dispense key). */
  kind: string;
  handshake: HandshakeConfig;
  launch: LoopLaunchConfig;
  /**
   * The kind-specific step, run once per generation after the process is up:
   * serve the host's dependencies on `gen.broker` (own them with `gen.own`),
   * call the plugin's factory RPC, dial what it answers, and return the live service.
   */
  create(gen: Generation): Promise<S>;
  /** The plugin's own readiness and health report for a live service (loop.Service on the created connection). */
  ready?(service: S, gen: Generation): Promise<void>;
  healthReport?(service: S, gen: Generation): Promise<Record<string, string>>;
  supervision?: SupervisionOptions;
}

interface Waiter {
  resolve(v: { service: unknown; gen: Generation }): void;
  reject(err: unknown): void;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * The TypeScript counterpart of chainlink-common's goplugin.PluginService: it
 * owns one go-plugin Client per generation, launches it, runs the
 * kind-specific create step and exposes the live service. Unlike Go, which
 * notices a dead plugin on its next 5 s tick, the process exit event starts a
 * new generation at once; the ping tick catches a plugin that is alive but
 * no longer answering. Consecutive failures back off (100 ms doubling to 5 s)
 * until a generation stays up for a healthy period. One generation is built
 * at a time, a generation becomes visible only when fully created, and
 * everything an ended generation owned is released.
 */
export class PluginService<S> implements AsyncDisposable {
  private live?: { gen: Generation; service: S; since: number };
  private latest?: Generation;
  private launching?: Client;
  private generations = 0;
  private building = false;
  private retryTimer?: NodeJS.Timeout;
  private started = false;
  private closed?: Promise<void>;
  private readonly waiters = new Set<Waiter>();
  private readonly exits = new Set<Promise<void>>();
  /** Consecutive failures since the last healthy generation; drives the backoff. */
  private failures = 0;
  /** Why the plugin is down right now (undefined while a generation is live). */
  private downReason?: string;
  private readonly opts: Required<SupervisionOptions>;

  constructor(private readonly cfg: PluginServiceConfig<S>) {
    const s = cfg.supervision ?? {};
    this.opts = {
      pingIntervalMs: s.pingIntervalMs ?? 5000,
      pingTimeoutMs: s.pingTimeoutMs ?? 2000,
      backoffInitialMs: s.backoffInitialMs ?? 100,
      backoffMaxMs: s.backoffMaxMs ?? 5000,
      healthyAfterMs: s.healthyAfterMs ?? 10_000,
      failFast: s.failFast ?? false,
      waitMs: s.waitMs ?? 10_000,
    };
  }

  get name(): string {
    return this.cfg.name;
  }

  /** The go-plugin client of the live generation, else of the latest one launched. */
  get client(): Client | undefined {
    return (this.live?.gen ?? this.latest)?.client;
  }

  /** The number of the live (or latest) generation; 0 before the first launch. */
  get generation(): number {
    return (this.live?.gen ?? this.latest)?.number ?? 0;
  }

  /** True while a generation is fully created and its process has not been seen to die. */
  get up(): boolean {
    return !!this.live && !this.live.gen.ended.aborted;
  }

  /** Launches the first generation and waits for it (or for its failure), then supervises. */
  async start(opts?: CallOptions): Promise<void> {
    await this.acquire(opts);
  }

  /**
   * The live service and its generation. While the plugin is down this waits
   * for the next generation up to the call's deadline (`waitMs` without one),
   * or fails at once with `failFast`; then it fails with UNAVAILABLE saying the
   * plugin is restarting and why it went down. A create step that the plugin
   * itself refused (not a crash) fails the waiting calls with that error.
   */
  acquire(opts?: CallOptions): Promise<{ service: S; gen: Generation }> {
    if (this.closed) return Promise.reject(new RpcError(Code.UNAVAILABLE, `${this.name}: closed`));
    this.ensureStarted();
    if (this.live && !this.live.gen.ended.aborted) return Promise.resolve({ service: this.live.service, gen: this.live.gen });
    const firstLaunch = this.generations <= 1 && !this.downReason;
    if (this.opts.failFast && !firstLaunch) return Promise.reject(this.unavailable());
    const waitMs = waitBudget(opts, this.opts.waitMs);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve: (v) => done(() => resolve(v as { service: S; gen: Generation })),
        reject: (e) => done(() => reject(e)),
      };
      const onAbort = () => w.reject(new RpcError(Code.CANCELLED, `${this.name}: call cancelled while waiting for the plugin`));
      const timer = setTimeout(() => w.reject(this.unavailable(waitMs)), waitMs);
      const done = (f: () => void) => {
        if (!this.waiters.delete(w)) return;
        clearTimeout(timer);
        opts?.signal?.removeEventListener("abort", onAbort);
        f();
      };
      this.waiters.add(w);
      opts?.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts?.signal?.aborted) onAbort();
    });
  }

  /**
   * Runs `f` on the live service. A failure because the generation died under
   * the call (UNAVAILABLE, CANCELLED or DEADLINE_EXCEEDED while its process is
   * gone) becomes UNAVAILABLE naming the restart and its cause. With `retry`
   * (for calls that are safe to repeat) the call is run again on the next
   * generation instead, within the same deadline, as Go's refreshing clientConn
   * does; without it (Transmit, Transact) it is not, since it may have run.
   */
  async call<T>(f: (service: S, gen: Generation, opts?: CallOptions) => Promise<T>, options?: CallOptions, retry = false): Promise<T> {
    const opts = absolute(options);
    // Waiting and retrying end at the call's deadline, or `waitMs` from now without one
    // (the RPC itself then keeps having none, as the caller asked).
    const until = opts?.deadline instanceof Date ? opts.deadline : new Date(Date.now() + this.opts.waitMs);
    for (;;) {
      const { service, gen } = await this.acquire({ ...opts, deadline: until });
      try {
        return await f(service, gen, opts);
      } catch (err) {
        if (!(await this.diedUnder(gen, err, opts))) throw err;
        const e = RpcError.from(err);
        const failure = new RpcError(Code.UNAVAILABLE, `${this.name}: plugin is restarting: generation ${gen.number} ${gen.endReason ?? "ended"} (call failed: ${e.details})`);
        if (!retry || until.getTime() <= Date.now()) throw failure;
      }
    }
  }

  /** Whether `err` is the generation dying under a call; if so the generation is marked down. */
  private async diedUnder(gen: Generation, err: unknown, opts?: CallOptions): Promise<boolean> {
    if (opts?.signal?.aborted) return false;
    // A brokered dial cut short by the exit fails as the broker closing, not with a status.
    const transient = err instanceof RpcError ? [Code.UNAVAILABLE, Code.CANCELLED, Code.DEADLINE_EXCEEDED].includes(err.code) : err instanceof BrokerError && err.code === "CLOSED";
    if (!transient) return false;
    // The channel failing and the exit event arriving are one event seen twice: give the second a moment.
    await exitSeen(gen.client, gen.ended);
    if (!gen.ended.aborted && !gen.client.exited) return false;
    this.markDown(gen, gen.endReason ?? this.exitReason(gen.client));
    return true;
  }

  /** Go's Ready: the plugin's own readiness, or "plugin unavailable" while no generation is up. */
  async ready(): Promise<void> {
    if (!this.up) throw new RpcError(Code.UNAVAILABLE, this.downReason ? `${PLUGIN_UNAVAILABLE}: ${this.downReason}` : PLUGIN_UNAVAILABLE);
    const { service, gen } = this.live!;
    await this.cfg.ready?.(service, gen);
  }

  /**
   * The service's own entry ("" when live, "plugin unavailable…" while down)
   * merged with the plugin's HealthReport, as Go's PluginService.HealthReport.
   */
  async healthReport(): Promise<Record<string, string>> {
    if (!this.up) return { [this.name]: this.downReason ? `${PLUGIN_UNAVAILABLE}: ${this.downReason}` : PLUGIN_UNAVAILABLE };
    const { service, gen } = this.live!;
    const report: Record<string, string> = { [this.name]: "" };
    try {
      Object.assign(report, await this.cfg.healthReport?.(service, gen));
    } catch (err) {
      report[this.name] = `health report failed: ${(err as Error).message}`;
    }
    return report;
  }

  /** Stops supervising, releases the live generation and waits for every process to be gone. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearTimeout(this.retryTimer);
      for (const w of [...this.waiters]) w.reject(new RpcError(Code.UNAVAILABLE, `${this.name}: closed`));
      // A launch in progress is cut short rather than waited for.
      if (this.building) this.launching?.killNow();
      while (this.building) await delay(5);
      const gen = this.live?.gen ?? this.latest;
      this.live = undefined;
      await gen?.release("closed");
      this.latest?.client && (await this.latest.client.kill());
      await Promise.all(this.exits);
      const c = gen?.client;
      this.event({ kind: "close", name: this.name, detail: c ? `generation ${gen.number}, exit ${c.exitCode ?? c.exitSignal}` : "never launched" });
    })();
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private ensureStarted(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Pings `gen` every interval, counted from when it came up, until it ends. */
  private armPing(gen: Generation): void {
    if (this.opts.pingIntervalMs <= 0) return;
    const stop = () => clearTimeout(t);
    const t = setTimeout(async () => {
      gen.ended.removeEventListener("abort", stop);
      if (this.live?.gen !== gen) return;
      await this.ping();
      if (!gen.ended.aborted) this.armPing(gen);
    }, this.opts.pingIntervalMs);
    t.unref();
    gen.ended.addEventListener("abort", stop, { once: true });
  }

  private async ping(): Promise<void> {
    const live = this.live;
    if (!live || live.gen.ended.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.opts.pingTimeoutMs} ms`)), this.opts.pingTimeoutMs);
    });
    try {
      await Promise.race([live.gen.client.ping(), timeout]);
    } catch (err) {
      // A ping that fails because the process just died reports the exit, not the ping.
      await exitSeen(live.gen.client, live.gen.ended);
      const reason = live.gen.client.exited ? this.exitReason(live.gen.client) : `failed its health ping (${(err as Error).message})`;
      this.markDown(live.gen, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A generation is gone: hide it, release it, and start the next one (at once, or after the backoff). */
  private markDown(gen: Generation, reason: string): void {
    gen.end(reason);
    if (this.live?.gen !== gen) return;
    const upFor = Date.now() - this.live.since;
    this.live = undefined;
    this.downReason = `generation ${gen.number} ${reason}`;
    if (upFor >= this.opts.healthyAfterMs) this.failures = 0;
    this.event({ kind: "down", name: this.name, id: gen.number, detail: reason });
    this.track(gen.release(reason));
    this.schedule(this.backoff());
  }

  private backoff(): number {
    const n = this.failures++;
    return n === 0 ? 0 : Math.min(this.opts.backoffInitialMs * 2 ** (n - 1), this.opts.backoffMaxMs);
  }

  /** Single flight: at most one build running or scheduled. */
  private schedule(ms: number): void {
    if (this.closed || this.building || this.retryTimer) return;
    this.event({ kind: "relaunch", name: this.name, id: this.generations + 1, ms });
    if (ms === 0) return void this.build();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.build();
    }, ms);
  }

  private async build(): Promise<void> {
    if (this.closed) return;
    this.building = true;
    const n = ++this.generations;
    const t0 = performance.now();
    const client = launchClient(this.cfg.kind, this.cfg.handshake, this.cfg.launch, n);
    this.launching = client;
    let gen: Generation | undefined;
    let retry = false;
    try {
      const p = await client.client();
      gen = new Generation(n, client, p.channel, p.broker);
      this.latest = gen;
      const g = gen;
      this.track(client.done.then(() => this.markDown(g, this.exitReason(client))));
      this.event({ kind: "launch", name: this.name, id: n, detail: `pid ${client.pid}, ${client.address?.network}:${client.address?.address}`, ms: performance.now() - t0 });
      const service = await this.cfg.create(gen);
      if (gen.ended.aborted) throw new RpcError(Code.UNAVAILABLE, `generation ${n} ${gen.endReason}`);
      if (this.closed) {
        await gen.release("closed");
        return;
      }
      this.live = { gen, service, since: Date.now() };
      this.armPing(gen);
      this.downReason = undefined;
      this.event({ kind: "up", name: this.name, id: n, ms: performance.now() - t0 });
      for (const w of [...this.waiters]) w.resolve({ service, gen });
    } catch (err) {
      // A process that died (or was killed) while being built is a crash: retry.
      // Anything else is the plugin's or the host's own answer: waiting calls get it.
      await exitSeen(client, gen?.ended);
      const crashed = client.exited || gen?.ended.aborted || isTransient(err);
      const why = client.exited ? this.exitReason(client) : (err as Error).message;
      this.downReason = `generation ${n} failed to start: ${why}`;
      this.event({ kind: "down", name: this.name, id: n, detail: this.downReason });
      this.track(gen ? gen.release(this.downReason) : client.kill());
      if (!crashed) for (const w of [...this.waiters]) w.reject(err);
      retry = true;
    } finally {
      this.building = false;
      this.launching = undefined;
    }
    if (retry && !this.closed) this.schedule(this.backoff());
  }

  private track(p: Promise<unknown>): void {
    const q = p.then(
      () => {},
      () => {},
    );
    this.exits.add(q);
    void q.finally(() => this.exits.delete(q));
  }

  private exitReason(client: Client): string {
    if (!client.exited) return "is running";
    const how = client.exitSignal ? `was killed by ${client.exitSignal}` : `exited with code ${client.exitCode}`;
    const tail = client.lastStderr.slice(-3);
    return tail.length ? `${how}; last stderr: ${tail.join(" | ")}` : how;
  }

  private unavailable(waitedMs?: number): RpcError {
    const why = this.downReason ?? "it is starting";
    const waited = waitedMs === undefined ? "" : ` (waited ${waitedMs} ms for the next generation)`;
    return new RpcError(Code.UNAVAILABLE, `${this.name}: plugin is restarting: ${why}${waited}`);
  }

  private event(e: LoopEvent): void {
    this.cfg.launch.onEvent?.(e);
  }
}

/**
 * Waits (up to 500 ms, longer than a loaded machine takes to deliver SIGCHLD)
 * until the process is seen to exit or the generation ends; returns at once
 * if either already happened.
 */
async function exitSeen(client: Client, ended?: AbortSignal): Promise<void> {
  for (let i = 0; i < 50 && !client.exited && !ended?.aborted; i++) await delay(10);
}

function isTransient(err: unknown): boolean {
  return err instanceof RpcError && (err.code === Code.UNAVAILABLE || err.code === Code.CANCELLED);
}

/** Milliseconds a call may wait, from its deadline, else the default. */
function waitBudget(opts: CallOptions | undefined, fallback: number): number {
  const d = opts?.deadline;
  if (d === undefined) return fallback;
  return Math.max(0, typeof d === "number" ? d : d.getTime() - Date.now());
}

/** The same options with a relative deadline fixed to an instant, so waiting does not extend it. */
export function absolute(opts: CallOptions | undefined): CallOptions | undefined {
  if (typeof opts?.deadline !== "number") return opts;
  return { ...opts, deadline: new Date(Date.now() + opts.deadline) };
}
