/**
 * Weighted round-robin proposer selection with proposer priorities, as CometBFT implements it
 * (spec/consensus/proposer-selection.md; types/validator_set.go IncrementProposerPriority):
 *   1. rescale priorities so that max - min <= 2 * P (integer division, truncating toward zero);
 *   2. centre them: subtract the average (floor division, as Go's big.Int.Div does for a positive divisor);
 *   3. `times` runs of: every priority += power; the highest priority (ties: smallest address) is the
 *      proposer; its priority -= P.
 * Priorities are bigint so the arithmetic is exact for any power; CometBFT clips at int64, and so do we.
 *
 * A PrioritySet is the state *before* a height's round-0 selection. proposer(h, r) is found by one
 * increment (round 0) and then, for r > 0, one more call incrementing r times, exactly as CometBFT's
 * state (one increment per height) and enterNewRound (increment by the rounds advanced) do.
 */
export interface PriorityValidator {
  /** Identity used for tie-breaking: the validator's address bytes as lowercase hex (orders like bytes). */
  id: string;
  power: bigint;
  priority: bigint;
}

export type PrioritySet = readonly PriorityValidator[];

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const PRIORITY_WINDOW_SIZE_FACTOR = 2n;

function clip(v: bigint): bigint {
  return v > MAX_INT64 ? MAX_INT64 : v < MIN_INT64 ? MIN_INT64 : v;
}

function totalPower(set: PrioritySet): bigint {
  let total = 0n;
  for (const v of set) total += v.power;
  return total;
}

/** Go's `/` on int64: truncates toward zero (BigInt division does the same). */
function truncDiv(a: bigint, b: bigint): bigint {
  return a / b;
}

/** big.Int.Div: Euclidean division; for a positive divisor that is floor division. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function rescale(set: PriorityValidator[], diffMax: bigint): void {
  if (diffMax <= 0n || set.length === 0) return;
  let max = set[0].priority;
  let min = set[0].priority;
  for (const v of set) {
    if (v.priority > max) max = v.priority;
    if (v.priority < min) min = v.priority;
  }
  const diff = max - min;
  if (diff <= diffMax) return;
  const ratio = (diff + diffMax - 1n) / diffMax;
  for (const v of set) v.priority = truncDiv(v.priority, ratio);
}

function centre(set: PriorityValidator[]): void {
  let sum = 0n;
  for (const v of set) sum += v.priority;
  const avg = floorDiv(sum, BigInt(set.length));
  for (const v of set) v.priority = clip(v.priority - avg);
}

function mostPriority(set: PriorityValidator[]): PriorityValidator {
  let best = set[0];
  for (let i = 1; i < set.length; i++) {
    const v = set[i];
    if (v.priority > best.priority || (v.priority === best.priority && v.id < best.id)) best = v;
  }
  return best;
}

/** Runs IncrementProposerPriority(times) on a copy; returns the new set and the last proposer's index. */
export function incrementProposerPriority(set: PrioritySet, times: number): { set: PrioritySet; proposer: number } {
  if (set.length === 0) throw new Error("empty validator set");
  if (times <= 0) throw new Error("times must be positive");
  const next = set.map((v) => ({ ...v }));
  const total = totalPower(next);
  rescale(next, PRIORITY_WINDOW_SIZE_FACTOR * total);
  centre(next);
  let proposer = next[0];
  for (let i = 0; i < times; i++) {
    for (const v of next) v.priority = clip(v.priority + v.power);
    proposer = mostPriority(next);
    proposer.priority = clip(proposer.priority - total);
  }
  return { set: next, proposer: next.indexOf(proposer) };
}

/** A new set's priorities, all zero (before its first selection). */
export function initialPrioritySet(validators: readonly { id: string; power: number | bigint }[]): PrioritySet {
  return validators.map((v) => ({ id: v.id, power: BigInt(v.power), priority: 0n }));
}

/**
 * The priorities a changed validator set starts from, carried over from the previous set as CometBFT's
 * updateWithChangeSet does (types/validator_set.go): a continuing validator keeps its priority (at its new
 * power), a new one starts at -1.125 x the total power (so joining or re-joining never jumps the queue), a
 * removed one is dropped; then the priorities are rescaled to a window of 2 x the total and centred.
 * Restarting from zeros instead would hand round 0 to the most powerful validator at every change, and any
 * stake or unstake changes the set: a stranger could make one validator propose every block.
 */
export function updatePrioritySet(
  previous: PrioritySet,
  validators: readonly { id: string; power: number | bigint }[],
): PrioritySet {
  const before = new Map(previous.map((v) => [v.id, v]));
  const nextIds = new Set(validators.map((v) => v.id));
  // CometBFT's total "after updates, before removals": new powers, plus the powers of those leaving.
  let total = 0n;
  for (const v of validators) total += BigInt(v.power);
  for (const v of previous) if (!nextIds.has(v.id)) total += v.power;
  const newcomer = -(total + (total >> 3n));
  const next = validators.map((v) => ({
    id: v.id,
    power: BigInt(v.power),
    priority: before.get(v.id)?.priority ?? newcomer,
  }));
  rescale(next, PRIORITY_WINDOW_SIZE_FACTOR * totalPower(next));
  centre(next);
  return next;
}

/**
 * Proposer schedule of one height: proposer(r) for every round, and the priority set the next height starts
 * from. Rounds are computed incrementally and cached, so asking for round r costs O(r) once.
 */
export class ProposerSchedule {
  private readonly round0: { set: PrioritySet; proposer: number };
  private readonly cache = new Map<number, number>();

  constructor(start: PrioritySet) {
    this.round0 = incrementProposerPriority(start, 1);
    this.cache.set(0, this.round0.proposer);
  }

  proposer(round: number): number {
    let p = this.cache.get(round);
    if (p === undefined) {
      p = incrementProposerPriority(this.round0.set, round).proposer;
      this.cache.set(round, p);
    }
    return p;
  }

  /** The priority set the next height starts from (this height's round-0 selection applied). */
  nextHeight(): PrioritySet {
    return this.round0.set;
  }
}

/** Priorities at a height: the state before that height's round-0 selection. */
export interface PriorityCheckpoint {
  height: number;
  set: PrioritySet;
}

/**
 * Walks priorities forward from `from` to `height`: one increment per height, carried over to a new set
 * where one takes effect (`newSetAt(h)` returns it, or undefined when the set of h is the set of h - 1).
 * `checkpoint` is called at every multiple of CHECKPOINT_INTERVAL passed on the way, so a restarted node can
 * start from the latest one instead of genesis (a walk from genesis costs seconds per million heights).
 */
export const CHECKPOINT_INTERVAL = 1000;

export function advancePriorities(
  from: PriorityCheckpoint,
  height: number,
  newSetAt: (h: number) => readonly { id: string; power: number | bigint }[] | undefined,
  checkpoint?: (c: PriorityCheckpoint) => void,
): PriorityCheckpoint {
  let at = from;
  while (at.height < height) {
    const h = at.height + 1;
    let set = new ProposerSchedule(at.set).nextHeight();
    const changed = newSetAt(h);
    if (changed !== undefined) set = updatePrioritySet(set, changed);
    at = { height: h, set };
    if (h % CHECKPOINT_INTERVAL === 0) checkpoint?.(at);
  }
  return at;
}

/** A checkpoint as text, for the node's local store (bigints as decimal strings). */
export function encodeCheckpoint(c: PriorityCheckpoint): string {
  return JSON.stringify({
    height: c.height,
    set: c.set.map((v) => ({ id: v.id, power: v.power.toString(), priority: v.priority.toString() })),
  });
}

export function decodeCheckpoint(text: string): PriorityCheckpoint {
  const raw = JSON.parse(text) as { height: number; set: { id: string; power: string; priority: string }[] };
  if (!Number.isSafeInteger(raw.height) || !Array.isArray(raw.set)) throw new Error("malformed priority checkpoint");
  return {
    height: raw.height,
    set: raw.set.map((v) => ({ id: String(v.id), power: BigInt(v.power), priority: BigInt(v.priority) })),
  };
}
