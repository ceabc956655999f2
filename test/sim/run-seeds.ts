import { type ByzantineMode, simulate } from "./simulator.ts";

export interface SeedsSummary {
  heightsDecided: number;
  safetyViolationSeeds: number;
  /** One line per failing seed: what failed, and how to replay it. */
  failures: string[];
}

/** Runs a range of seeds and summarises, for tests (the CLI in cli.ts prints the same figures). */
export function runSeeds(opts: {
  from: number;
  count: number;
  validators: number;
  byzantine: number;
  heights: number;
  byzantineMode?: ByzantineMode;
  equalPower?: boolean;
  gossip?: "paper" | "node" | "own";
}): SeedsSummary {
  const summary: SeedsSummary = { heightsDecided: 0, safetyViolationSeeds: 0, failures: [] };
  for (let seed = opts.from; seed < opts.from + opts.count; seed++) {
    const r = simulate({ ...opts, seed });
    summary.heightsDecided += r.heightsDecided;
    if (r.safetyViolations.length > 0) summary.safetyViolationSeeds++;
    const problems = [...r.safetyViolations, r.livenessFailure ?? "", ...r.guardViolations, ...r.missingEvidence].filter(
      (p) => p !== "",
    );
    if (problems.length > 0) {
      const mode = (opts.byzantineMode === undefined ? "" : ` --mode ${opts.byzantineMode}`) +
        (opts.gossip === undefined ? "" : ` --gossip ${opts.gossip}`);
      const replay = `npm run sim -- --seed ${seed} --validators ${opts.validators} --byzantine ${opts.byzantine}${mode} --trace`;
      summary.failures.push(`seed ${seed}: ${problems[0]} (replay: ${replay})`);
    }
  }
  return summary;
}
