import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildMutant, MUTATIONS, mutateSource, seedsUntilCaught } from "./mutants.ts";

/**
 * Each mutation breaks one rule that makes Tendermint safe; the simulator, with the coalition adversary
 * (coalition.ts) at under 1/3 of the power and correct validators of unequal power, must show a safety
 * violation (two correct validators deciding differently at one height, or a correct validator voting for an
 * invalid value) within MAX_SEEDS seeds. A mutation that survives fails the test: the simulator has gone blind
 * to that rule.
 */
const MAX_SEEDS = 300;
const RUN = { from: 1, maxSeeds: MAX_SEEDS, validators: 4, byzantine: 1, heights: 20, byzantineMode: "coalition" } as const;
const REPO = join(import.meta.dirname, "../..");

describe("mutation tests: the simulator catches each broken consensus rule", () => {
  it("each mutation's text occurs exactly once in today's source (a refactor cannot void one silently)", () => {
    for (const m of MUTATIONS) {
      const source = readFileSync(join(REPO, m.file), "utf8");
      expect(mutateSource(source, m)).not.toBe(source);
    }
    const m = MUTATIONS[0];
    expect(() => mutateSource("nothing here", m)).toThrow(/not in/);
    expect(() => mutateSource(`${m.find}\n${m.find}`, m)).toThrow(/more than once/);
  });

  for (const m of MUTATIONS) {
    it(`${m.name} (${m.rule}): caught within ${MAX_SEEDS} seeds`, async () => {
      const mutant = await buildMutant(m);
      try {
        const caught = seedsUntilCaught(mutant, RUN);
        console.log(
          caught === undefined
            ? `mutation "${m.name}": SURVIVED ${MAX_SEEDS} seeds`
            : `mutation "${m.name}": caught after ${caught.seeds} seeds (seed ${caught.seed}: ${caught.violation})`,
        );
        expect(caught, `mutation "${m.name}" survived ${MAX_SEEDS} seeds`).toBeDefined();
      } finally {
        mutant.cleanup();
      }
    }, 60_000);
  }
});
