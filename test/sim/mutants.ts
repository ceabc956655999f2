import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EngineLike, SimConfig, SimResult } from "./simulator.ts";

/**
 * Mutation tests for the consensus engine: each mutation is one fault a reviewer could introduce, written as
 * an exact replacement in the source text of a file (engine.ts, or the simulator's restart for the WAL). The
 * mutant is built from the text at test time into a temp module (its relative imports made absolute), so the
 * production code has no switch for it; the replaced text must occur exactly once, so a refactor that moves
 * it makes the build fail loudly instead of silently testing the unmutated code.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ENGINE = "consensus/engine/engine.ts";
const SIMULATOR = "test/sim/simulator.ts";

export interface Mutation {
  name: string;
  /** Which rule of Algorithm 1 (or which duty of the host) the mutation breaks. */
  rule: string;
  /** The file mutated, relative to the repo root. */
  file: string;
  find: string;
  replace: string;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: "never lock",
    rule: "L36: lockedValue/lockedRound set on a polka",
    file: ENGINE,
    find: "this.lockedValue = polka.value;\n        this.lockedRound = r;",
    replace: "",
  },
  {
    name: "skip the lock check",
    rule: "L22: prevote a fresh proposal only if unlocked or locked on it",
    file: ENGINE,
    find: "const ok = valid && (this.lockedRound === -1 || this.lockedValue === proposal.value);",
    replace: "const ok = valid;",
  },
  {
    name: "skip the valid-round check",
    rule: "L28: prevote a re-proposal only if locked no later than its validRound (or on its value)",
    file: ENGINE,
    find: "const ok = valid && (this.lockedRound <= proposal.polRound || this.lockedValue === proposal.value);",
    replace: "const ok = valid;",
  },
  {
    name: "skip the validRound polka check",
    rule: "L28: a re-proposal needs +2/3 prevotes for its value in its validRound",
    file: ENGINE,
    find: "if (keeper.quorumFor(PREVOTE, proposal.polRound, proposal.value)) {",
    replace: "if (proposal.polRound >= 0) {",
  },
  {
    name: "decide on f+1 precommits",
    rule: "L49: decide on +2/3 precommits, not +1/3",
    file: ENGINE,
    find: "if (keeper.quorumFor(PRECOMMIT, pr, proposal.value)) {",
    replace:
      "if (keeper.precommitsFor(pr, proposal.value).reduce((s, v) => s + this.params().validators[v.validator].power, 0) * 3 > keeper.total) {",
  },
  {
    name: "prevote without the validity check",
    rule: "L22/L28: prevote a proposal only if valid(v)",
    file: ENGINE,
    find: "const ok = valid && (this.lockedRound === -1 || this.lockedValue === proposal.value);",
    replace: "const ok = this.lockedRound === -1 || this.lockedValue === proposal.value;",
  },
  {
    name: "forget the WAL on restart",
    rule: "host: a restarted validator replays its WAL (its lock and votes), not only its signer state",
    file: SIMULATOR,
    find: "for (const input of wal) feed(node, input, true);",
    // What a node without its WAL can do: start the height again after the last round it signed in.
    replace:
      "const params = paramsFor(node, node.height); const last = node.lastSigned; if (last !== undefined && last.height === node.height) params.firstRound = last.round + 1; node.wal = []; feed(node, { type: \"startHeight\", params }); const cert = node.certificates.get(node.height); if (cert !== undefined) applyCertificate(node, cert);",
  },
];

/** A simulator with the mutation built in. `cleanup` removes its temp module. */
export interface Mutant {
  simulate: (config: SimConfig) => SimResult;
  /** For an engine mutation: the mutant engine's factory. */
  engine?: () => EngineLike;
  cleanup: () => void;
}

/** The source text with `find` replaced; throws unless `find` occurs exactly once. */
export function mutateSource(source: string, m: Mutation): string {
  const first = source.indexOf(m.find);
  if (first < 0) throw new Error(`mutation "${m.name}": its text is not in ${m.file} (was the code refactored? update the mutation)`);
  if (source.indexOf(m.find, first + 1) >= 0) throw new Error(`mutation "${m.name}": its text occurs more than once in ${m.file}`);
  return source.slice(0, first) + m.replace + source.slice(first + m.find.length);
}

/** Relative imports (`from "./x.ts"`) made absolute, so the module works from a temp directory. */
function absoluteImports(source: string, fromFile: string): string {
  return source.replace(/from "(\.{1,2}\/[^"]+)"/g, (_, rel: string) => `from "${pathToFileURL(resolve(dirname(fromFile), rel)).href}"`);
}

export async function buildMutant(m: Mutation): Promise<Mutant> {
  const path = join(REPO, m.file);
  const text = absoluteImports(mutateSource(readFileSync(path, "utf8"), m), path);
  const dir = mkdtempSync(join(tmpdir(), "opl-mutant-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const file = join(dir, basename(m.file));
    writeFileSync(file, text);
    const mod: unknown = await import(pathToFileURL(file).href);
    if (m.file === ENGINE) {
      const { Engine } = mod as { Engine: new () => EngineLike };
      const { simulate } = await import("./simulator.ts");
      const engine = () => new Engine();
      return { simulate: (config) => simulate({ ...config, engine }), engine, cleanup };
    }
    if (m.file === SIMULATOR) return { simulate: (mod as { simulate: Mutant["simulate"] }).simulate, cleanup };
    throw new Error(`mutation "${m.name}": no way to run a mutant of ${m.file}`);
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Runs seeds from `from` until one shows a safety violation; the count of seeds run, or undefined if none did. */
export function seedsUntilCaught(
  mutant: Mutant,
  opts: { from: number; maxSeeds: number; validators: number; byzantine: number; heights: number; byzantineMode?: SimConfig["byzantineMode"] },
): { seeds: number; seed: number; violation: string } | undefined {
  for (let i = 0; i < opts.maxSeeds; i++) {
    const seed = opts.from + i;
    const r = mutant.simulate({ ...opts, seed });
    if (r.safetyViolations.length > 0) return { seeds: i + 1, seed, violation: r.safetyViolations[0] };
  }
  return undefined;
}
