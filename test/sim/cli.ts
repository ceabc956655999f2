/**
 * The consensus simulator from the command line.
 *
 *   npm run sim -- --seeds 1000 --validators 4 --byzantine 1 --heights 20
 *   npm run sim -- --seed 17 --validators 4 --byzantine 1 --trace        # replay one seed, with its trace
 *   npm run sim -- --seeds 50 --validators 4 --byzantine 2 --mode equivocate --equal-power   # >= 1/3: must fail
 *
 *   npm run sim -- --seeds 300 --mode coalition --mutation "never lock"   # a mutant engine: must be caught
 *   npm run sim -- --seeds 1500 --gossip node    # re-sends only what node/consensus-outbox.ts re-sends
 *
 * Correct validators get voting power 1-3 (from the seed), the Byzantine ones together just under 1/3;
 * --equal-power gives everyone 1. --mode: equivocate, silent, invalid, amnesia, coalition (default: each
 * Byzantine validator picks one from the seed). --mutation NAME (see test/sim/mutants.ts; "list" lists them)
 * runs a mutant instead of the real engine, and adds "firstCaughtSeed" to the summary. --gossip: paper (the
 * default: Tendermint's reactor), node (the node's outbox), own (the node's before 2026-12-07: must fail).
 *
 * Prints progress on stderr and one JSON summary line on stdout:
 * { seeds, validators, byzantine, heightsDecided, safetyViolations, livenessFailures, failingSeeds, ... }
 * Exits 1 if any run violated safety, liveness, the signer guard or evidence reporting.
 */
import { parseArgs } from "node:util";
import { buildMutant, MUTATIONS } from "./mutants.ts";
import { BYZANTINE_MODES, type ByzantineMode, simulate as realSimulate } from "./simulator.ts";

const { values } = parseArgs({
  options: {
    "seeds": { type: "string", default: "100" },
    "from": { type: "string", default: "1" },
    "seed": { type: "string" },
    "validators": { type: "string", default: "4" },
    "byzantine": { type: "string" },
    "heights": { type: "string", default: "20" },
    "mode": { type: "string" },
    "mutation": { type: "string" },
    "gossip": { type: "string", default: "paper" },
    "no-faults": { type: "boolean", default: false },
    "equal-power": { type: "boolean", default: false },
    "trace": { type: "boolean", default: false },
    "help": { type: "boolean", default: false },
  },
});

if (values.help) {
  const { readFileSync } = await import("node:fs");
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
}

const validators = Number(values.validators);
const byzantine = values.byzantine === undefined ? Math.floor((validators - 1) / 3) : Number(values.byzantine);
const heights = Number(values.heights);
const mode = values.mode as ByzantineMode | undefined;
if (mode !== undefined && !BYZANTINE_MODES.includes(mode)) {
  console.error(`--mode must be one of ${BYZANTINE_MODES.join(", ")}, got "${mode}"`);
  process.exit(2);
}
if (values.mutation === "list") {
  for (const m of MUTATIONS) console.log(`${m.name}: ${m.rule}`);
  process.exit(0);
}
const mutation = values.mutation === undefined ? undefined : MUTATIONS.find((m) => m.name === values.mutation);
if (values.mutation !== undefined && mutation === undefined) {
  console.error(`--mutation: no mutation "${values.mutation}" (--mutation list lists them)`);
  process.exit(2);
}
const gossip = values.gossip as "paper" | "node" | "own";
if (!["paper", "node", "own"].includes(gossip)) {
  console.error(`--gossip must be paper, node or own, got "${gossip}"`);
  process.exit(2);
}
const mutant = mutation === undefined ? undefined : await buildMutant(mutation);
const simulate = mutant?.simulate ?? realSimulate;
const seeds = values.seed !== undefined ? [Number(values.seed)] : [];
if (seeds.length === 0) for (let i = 0; i < Number(values.seeds); i++) seeds.push(Number(values.from) + i);

const summary = {
  seeds: seeds.length,
  validators,
  byzantine,
  heightsDecided: 0,
  safetyViolations: 0,
  livenessFailures: 0,
  guardViolations: 0,
  missingEvidence: 0,
  failingSeeds: [] as number[],
  mutation: mutation?.name,
  gossip,
  firstCaughtSeed: undefined as number | undefined,
  wallSeconds: 0,
  virtualHeightsPerWallSecond: 0,
};
const started = performance.now();
let lastReport = started;
for (const [i, seed] of seeds.entries()) {
  const r = simulate({
    seed,
    validators,
    byzantine,
    heights,
    byzantineMode: mode,
    faults: !values["no-faults"],
    equalPower: values["equal-power"],
    gossip,
    trace: values.trace ? (line) => console.error(line) : undefined,
  });
  summary.heightsDecided += r.heightsDecided;
  const problems = [...r.safetyViolations, r.livenessFailure ?? "", ...r.guardViolations, ...r.missingEvidence];
  const failed = problems.some((p) => p !== "");
  if (r.safetyViolations.length > 0) summary.safetyViolations++;
  if (r.safetyViolations.length > 0) summary.firstCaughtSeed ??= seed;
  if (r.livenessFailure !== null) summary.livenessFailures++;
  if (r.guardViolations.length > 0) summary.guardViolations++;
  if (r.missingEvidence.length > 0) summary.missingEvidence++;
  if (failed) {
    summary.failingSeeds.push(seed);
    if (values.trace || summary.failingSeeds.length <= 3) {
      console.error(`seed ${seed}: ${[...r.safetyViolations, r.livenessFailure ?? "", ...r.guardViolations, ...r.missingEvidence].filter(Boolean).slice(0, 5).join("; ")}`);
    }
  }
  const now = performance.now();
  if (now - lastReport > 5000) {
    lastReport = now;
    console.error(`${i + 1}/${seeds.length} seeds, ${summary.failingSeeds.length} failing, ${((now - started) / 1000).toFixed(0)} s`);
  }
}
summary.wallSeconds = Number(((performance.now() - started) / 1000).toFixed(2));
summary.virtualHeightsPerWallSecond = Math.round(summary.heightsDecided / Math.max(summary.wallSeconds, 0.001));
if (summary.failingSeeds.length > 50) summary.failingSeeds = summary.failingSeeds.slice(0, 50);
console.log(JSON.stringify(summary));
mutant?.cleanup();
// A mutant must be caught (a safety violation); the real engine must pass every check.
process.exitCode = (mutant === undefined ? summary.failingSeeds.length > 0 : summary.safetyViolations === 0) ? 1 : 0;
