// SIGKILL storm: plugins killed under concurrent callers on the main and a
// brokered channel; every call must end (none hung) with OK or UNAVAILABLE,
// calls after the exit must name it, and kill() must return.
import { Client, Code, createClient, RpcError, service, type ClientOf } from "../../src/index.js";
import { PingPong, Test } from "../gen/grpctest/test_pb.js";
import { goPluginCmd, TEST_HANDSHAKE, tsPluginCmd } from "../helpers.js";

export interface StormOptions {
  kind: "go" | "ts";
  autoMTLS: boolean;
  trials: number;
  /** How long a call may stay pending after the exit was seen before it counts as hung. */
  settleMs?: number;
}

export interface StormResult {
  trials: number;
  calls: number;
  hung: number;
  /** Calls that ended with a code other than OK, UNAVAILABLE or CANCELLED. */
  wrongCode: number;
  /** Calls made after the exit whose status does not name it. */
  unnamed: number;
  /** kill() calls that did not return within settleMs. */
  hungKills: number;
  /** Milliseconds from SIGKILL to the client noticing, per trial. */
  exitMs: number[];
  /** First few odd outcomes, for the failure message. */
  samples: string[];
}

const pong = service(PingPong, { ping: () => ({ msg: "pong" }) });
const PENDING = Symbol("pending");

export async function sigkillStorm(o: StormOptions): Promise<StormResult> {
  const settleMs = o.settleMs ?? 3000;
  const r: StormResult = { trials: o.trials, calls: 0, hung: 0, wrongCode: 0, unnamed: 0, hungKills: 0, exitMs: [], samples: [] };
  const note = (s: string) => r.samples.length < 5 && r.samples.push(s);
  for (let i = 0; i < o.trials; i++) {
    const client = new Client({
      handshakeConfig: TEST_HANDSHAKE,
      plugins: { test: { grpcClient: ({ channel }) => createClient(Test, channel) } },
      cmd: o.kind === "go" ? goPluginCmd() : tsPluginCmd(),
      autoMTLS: o.autoMTLS,
      stdin: "ignore",
      logger: { log() {} },
    });
    const test = await client.dispense<ClientOf<typeof Test>>("test");
    const { broker } = await client.client();
    const hostId = broker.nextId();
    const listener = await broker.acceptAndServe(hostId, [pong]);
    const { id } = await test.bidirectional({ id: hostId });
    const brokered = createClient(PingPong, await broker.dial(id));

    type Outcome = { code: Code | "ok" | typeof PENDING; details: string; afterExit: boolean };
    const outcomes: Promise<Outcome>[] = [];
    let exitSeen = false;
    let stop = false;
    const track = (p: Promise<unknown>) => {
      const afterExit = exitSeen;
      const settled = p.then(
        () => ({ code: "ok" as const, details: "", afterExit }),
        (e) => {
          const err = RpcError.from(e);
          return { code: err.code, details: err.details, afterExit };
        },
      );
      outcomes.push(settled);
      return settled;
    };
    const callers = [
      ...Array.from({ length: 4 }, async () => {
        while (!stop) await track(test.double({ Input: 2 }));
      }),
      ...Array.from({ length: 2 }, async () => {
        while (!stop) await track(brokered.ping({}));
      }),
    ];
    // A long-lived bidi stream that never half-closes.
    const never = (async function* () {
      yield { Input: 1 };
      await new Promise(() => {});
    })();
    track((async () => {
      for await (const _ of test.stream(never));
    })());

    await new Promise((res) => setTimeout(res, 30 + Math.random() * 70));
    const killedAt = Date.now();
    process.kill(-client.pid!, "SIGKILL");
    await client.done;
    exitSeen = true;
    r.exitMs.push(Date.now() - killedAt);
    // Calls keep coming after the exit was noticed, then stop.
    await new Promise((res) => setTimeout(res, 20));
    track(test.double({ Input: 3 }));
    track(brokered.ping({}));
    stop = true;

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof PENDING>((res) => (timer = setTimeout(() => res(PENDING), settleMs)));
    const all = await Promise.all(outcomes.map((p) => Promise.race([p, deadline.then((): Outcome => ({ code: PENDING, details: "", afterExit: false }))])));
    for (const out of all) {
      r.calls++;
      if (out.code === PENDING) {
        r.hung++;
        note(`trial ${i}: call pending ${settleMs} ms after the exit`);
      } else if (out.code !== "ok" && out.code !== Code.UNAVAILABLE && out.code !== Code.CANCELLED) {
        r.wrongCode++;
        note(`trial ${i}: ${Code[out.code]}: ${out.details}`);
      } else if (out.afterExit && (out.code === "ok" || !out.details.includes("exited: killed by SIGKILL"))) {
        r.unnamed++;
        note(`trial ${i}: after exit: ${String(out.code)} ${out.details}`);
      }
    }
    const killed = await Promise.race([client.kill().then(() => true), deadline.then(() => false)]);
    if (!killed) {
      r.hungKills++;
      note(`trial ${i}: kill() pending`);
    }
    listener.close();
    await Promise.race([Promise.all(callers), deadline]);
    clearTimeout(timer);
  }
  return r;
}
