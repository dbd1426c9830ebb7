import { jest } from "@jest/globals";
import { KEEPALIVE_TIMEOUT_DETAILS, SessionKeepalive, type PingableSession } from "./h2-keepalive.js";

/** A session that records PING times and answers them when told to. */
function fakeSession() {
  const pings: number[] = [];
  const waiting: Array<(err: Error | null) => void> = [];
  const session = {
    destroyed: false,
    ping(cb: (err: Error | null) => void) {
      pings.push(Date.now());
      waiting.push(cb);
      return true;
    },
  };
  return { session: session as PingableSession, pings, ack: () => waiting.shift()!(null) };
}

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

test("PINGs only while calls are active, each `timeMs` after the previous ACK (never closer: grpc-go's MinTime)", () => {
  const s = fakeSession();
  const dead = jest.fn();
  const ka = new SessionKeepalive(s.session, { timeMs: 1000, timeoutMs: 200 }, dead);
  jest.advanceTimersByTime(5000);
  expect(s.pings).toEqual([]);
  ka.callStarted();
  ka.callStarted();
  jest.advanceTimersByTime(999);
  expect(s.pings).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(s.pings).toEqual([6000]);
  jest.advanceTimersByTime(150);
  s.ack();
  jest.advanceTimersByTime(1000);
  expect(s.pings).toEqual([6000, 7150]);
  s.ack();
  ka.callEnded();
  ka.callEnded();
  jest.advanceTimersByTime(10_000);
  expect(s.pings).toEqual([6000, 7150]);
  expect(dead).not.toHaveBeenCalled();
  ka.stop();
});

test("a timer that ran out while idle PINGs as soon as a call starts", () => {
  const s = fakeSession();
  const ka = new SessionKeepalive(s.session, { timeMs: 1000, timeoutMs: 200 }, () => {});
  ka.callStarted();
  jest.advanceTimersByTime(500);
  ka.callEnded();
  jest.advanceTimersByTime(600);
  expect(s.pings).toEqual([]);
  ka.callStarted();
  expect(s.pings).toEqual([1100]);
  ka.stop();
});

test("no ACK within `timeoutMs`: the connection is declared dead once, with grpc-go's words", () => {
  const s = fakeSession();
  const dead = jest.fn();
  const ka = new SessionKeepalive(s.session, { timeMs: 1000, timeoutMs: 200 }, dead);
  ka.callStarted();
  jest.advanceTimersByTime(1199);
  expect(dead).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(dead).toHaveBeenCalledTimes(1);
  expect(dead).toHaveBeenCalledWith(KEEPALIVE_TIMEOUT_DETAILS);
  jest.advanceTimersByTime(10_000);
  expect(dead).toHaveBeenCalledTimes(1);
  expect(s.pings).toEqual([1000]);
});
