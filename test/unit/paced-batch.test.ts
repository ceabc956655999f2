import { describe, expect, it } from "vitest";
import { pacedBatch } from "../bench/saturation.ts";

/**
 * The batch size of a paced bench run (test/bench/saturation.ts pacedBatch): each of the clients sends at least
 * one batch a second, so the rate asked for is the rate offered. With a fixed 250 per batch, `--rate 20` gave 8
 * clients one batch each, staggered over 100 s: ~7 tx/s offered.
 */
describe("a paced run's batch size", () => {
  it("lets each client send at least one batch a second at a low rate", () => {
    expect(pacedBatch(20, 8, 250)).toBe(3);
    expect(pacedBatch(1, 8, 250)).toBe(1);
    expect(pacedBatch(1000, 8, 250)).toBe(125);
  });

  it("keeps --batch from 2,000 tx/s up (the figures' runs), and unpaced", () => {
    expect(pacedBatch(2000, 8, 250)).toBe(250);
    expect(pacedBatch(4000, 8, 250)).toBe(250);
    expect(pacedBatch(0, 8, 250)).toBe(250);
    expect(pacedBatch(2000, 8, 100)).toBe(100);
  });
});
