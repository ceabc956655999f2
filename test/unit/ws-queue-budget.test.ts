import { expect, it } from "vitest";
import { Heartbeat } from "../../rpc/ws/heartbeat.ts";
import { WS_CLIENT_SHARE, WS_MIN_READ_BYTES_PER_SECOND } from "../../rpc/ws/limits.ts";
import { WsQueueBudget } from "../../rpc/ws/queue-budget.ts";

it("the queue budget holds the node-wide total and one address's share, and tells waiters of room", () => {
  const budget = new WsQueueBudget(1000, WS_CLIENT_SHARE);
  expect(budget.maxPerClient).toBe(250);
  expect(budget.take("a", 200)).toBe(true);
  expect(budget.take("a", 100)).toBe(false); // past a's share
  expect(budget.take("b", 250)).toBe(true);
  expect(budget.take("c", 250)).toBe(true);
  expect(budget.take("d", 250)).toBe(true);
  expect(budget.usedBytes).toBe(950);
  expect(budget.take("e", 100)).toBe(false); // past the total
  let told = 0;
  const stop = budget.onRoom(() => told++);
  budget.give("b", 250);
  expect(told).toBe(1);
  expect(budget.fits("e", 100)).toBe(true);
  stop();
  budget.give("c", 250);
  expect(told).toBe(1);
  // An address holding nothing may take one notification bigger than its share (else it could never go).
  expect(budget.take("f", 400)).toBe(true);
  expect(budget.usedBytes).toBe(850);
});

it("a pong is due within the idle timeout plus the bytes ahead of the ping at the slowest read rate", () => {
  const conn = { written: 0, buffered: 0 };
  const beat = new Heartbeat(conn, 300);
  expect(beat.due()).toBe(true);
  conn.written = 10_000;
  conn.buffered = WS_MIN_READ_BYTES_PER_SECOND - 10_000; // one second of reading ahead of the ping
  beat.pinged(0);
  expect(beat.due()).toBe(false);
  expect(beat.late(1300)).toBe(false);
  expect(beat.late(1301)).toBe(true);
  beat.ponged();
  expect(beat.due()).toBe(true);
  // Only the bytes since the ping it answered can be ahead of the next one.
  conn.written = WS_MIN_READ_BYTES_PER_SECOND;
  conn.buffered = 0;
  beat.pinged(5000);
  expect(beat.late(5301)).toBe(true);
});
