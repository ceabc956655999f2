import { Engine, inputHeight } from "../../consensus/engine/engine.ts";
import {
  DEFAULT_TIMEOUTS,
  type Effect,
  type HeightParams,
  type Input,
  PRECOMMIT,
  PREVOTE,
  type Proposal,
  type Vote,
} from "../../consensus/engine/types.ts";
import { initialPrioritySet, type PrioritySet, ProposerSchedule } from "../../consensus/proposer.ts";
import {
  checkSignRequest,
  STEP_PRECOMMIT,
  STEP_PREVOTE,
  STEP_PROPOSE,
  type SignedRecord,
} from "../../consensus/signer-guard.ts";
import { Coalition } from "./coalition.ts";
import { EventQueue } from "./event-queue.ts";
import { Rng } from "./rng.ts";

/**
 * A deterministic simulation of N consensus engines: a virtual clock, a virtual network with delays,
 * reordering, drops, duplicates and partitions until the global stabilisation time (GST), crashes with
 * restart from a write-ahead log, and Byzantine validators. Everything derives from one seed, so a failing
 * seed replays exactly (`npm run sim -- --seed S --trace`).
 *
 * The engine under test is the real one (consensus/engine); this file plays the host: it runs effects,
 * keeps each node's WAL and signer-guard record, gossips, and lets lagging nodes catch up from commits.
 */

/**
 * equivocate: two values to two halves of the network; silent; invalid: proposes invalid values;
 * amnesia: prevotes the proposal it was shown whatever its lock; coalition: see coalition.ts (locks split by
 * targeted delivery, selective equivocation, withholding, fresh / stale / wrong-validRound proposals).
 */
export type ByzantineMode = "equivocate" | "silent" | "invalid" | "amnesia" | "coalition";
export const BYZANTINE_MODES: readonly ByzantineMode[] = ["equivocate", "silent", "invalid", "amnesia", "coalition"];

/** What the simulator needs of an engine: the real one, or a mutant built by mutants.ts. */
export type EngineLike = Pick<
  Engine,
  "handle" | "height" | "currentRound" | "decision" | "lock" | "describeRound" | "describeProposals"
>;

export interface SimConfig {
  seed: number;
  validators: number;
  byzantine: number;
  /** Fixed behaviour for every Byzantine node; by default each picks one from the seed. */
  byzantineMode?: ByzantineMode;
  heights: number;
  /** Network faults and crashes before GST (default true). */
  faults?: boolean;
  /** Every validator with power 1 (default: correct validators get 1-3). */
  equalPower?: boolean;
  /**
   * What a correct node re-sends on each gossip tick. "paper" (default): as Tendermint's reactor does (its own
   * messages, and what it received of the current and previous round, its lock and valid rounds and the
   * current proposal's proof-of-lock round). "node": only what node/consensus-outbox.ts re-sends: its proposal
   * of the current round, the votes it holds (every validator's) of the current and previous round, and the
   * prevotes behind its lock and valid value; others' proposals are not relayed. "own": the node's gossip
   * before 2026-12-07, its own messages only (the simulator must find its stalls: sim-node-gossip.test.ts).
   */
  gossip?: "paper" | "node" | "own";
  /** Builds each node's engine (default: the real Engine); the mutation tests pass a mutant's. */
  engine?: () => EngineLike;
  trace?: (line: string) => void;
}

export interface SimResult {
  seed: number;
  heightsDecided: number;
  safetyViolations: string[];
  livenessFailure: string | null;
  guardViolations: string[];
  missingEvidence: string[];
  virtualMs: number;
  events: number;
}

type Message =
  | { kind: "proposal"; proposal: Proposal }
  | { kind: "vote"; vote: Vote }
  | { kind: "syncRequest"; from: number; height: number }
  | { kind: "certificate"; proposal: Proposal; precommits: Vote[] };

type SimEvent =
  | { time: number; seq: number; type: "deliver"; to: number; msg: Message }
  | { time: number; seq: number; type: "input"; node: number; incarnation: number; input: Input }
  | { time: number; seq: number; type: "startHeight"; node: number; incarnation: number; height: number }
  | { time: number; seq: number; type: "crash"; node: number; downMs: number }
  | { time: number; seq: number; type: "restart"; node: number }
  | { time: number; seq: number; type: "gossip"; node: number; incarnation: number };

interface Certificate {
  proposal: Proposal;
  precommits: Vote[];
}

interface SimNode {
  index: number;
  byzantine: ByzantineMode | undefined;
  engine: EngineLike;
  up: boolean;
  incarnation: number;
  height: number;
  /** Inputs of the current height, in order: replayed after a crash. */
  wal: Input[];
  /** Signer guard: the last thing this key signed; survives crashes (it is on disk in a real node). */
  lastSigned: SignedRecord | undefined;
  /** Everything this key released, to check for conflicts. */
  signed: Map<string, string>;
  /** Own messages of the current height (re-gossiped on a timer). */
  own: Message[];
  /** Proposals and votes of the current height this node has (received or own), by message key: what it relays. */
  relay: Map<string, Message>;
  /** The first vote value seen per (validator, height, round, type). */
  firstVotes: Map<string, string | null>;
  /** Keys of `relay` this node is known to hold (what peers do not need to send it again). */
  held: Set<string>;
  /** Virtual times of this node's decisions, in order (for the per-height liveness check). */
  decidedTimes: number[];
  /** Gossip ticks so far, and "height/round" at the last one (the "node" gossip relays from a round's second). */
  gossipTicks: number;
  lastGossipAt: string;
  decisions: Map<number, string>;
  certificates: Map<number, Certificate>;
  /** Votes the engine processed, first per (validator, height, round, type): for the evidence check. */
  seenVotes: Map<string, Vote>;
  expectedEvidence: Set<string>;
  reportedEvidence: Set<string>;
  schedules: Map<number, PrioritySet>;
  /** The first proposal value this node received per `height/round` (what an amnesiac votes for). */
  firstProposals: Map<string, string>;
}

const COMMIT_TIMEOUT_MS = 1000;
const GOSSIP_INTERVAL_MS = 1000;
const GST_MS = 30_000;
/** After GST, each height must be decided within this (generous: timeouts grow with rounds). */
const LIVENESS_BUDGET_PER_HEIGHT_MS = 15_000;
/** After GST no correct node may go longer than this without deciding a height. */
const MAX_STALL_AFTER_GST_MS = 90_000;

export function simulate(config: SimConfig): SimResult {
  const rng = new Rng(config.seed * 2654435761 + 1);
  const n = config.validators;
  const faults = config.faults ?? true;
  const trace = config.trace;
  const queue = new EventQueue<SimEvent>();
  const makeEngine = config.engine ?? (() => new Engine());
  // Unequal voting power by default: correct validators 1-3, and the Byzantine ones together as much as stays
  // below 1/3 of the total (the most an adversary may have; at least 1 each, so with as many Byzantine
  // validators as correct power allows). `equalPower` (all 1) for the attacks that need 1/3 or more.
  const byzantineFrom = n - config.byzantine;
  const validators = Array.from({ length: n }, (_, i) => ({
    power: config.equalPower || i >= byzantineFrom ? 1 : rng.int(1, 3),
  }));
  if (!config.equalPower && config.byzantine > 0) {
    const correctPower = validators.slice(0, byzantineFrom).reduce((s, v) => s + v.power, 0);
    // b * 3 < correctPower + b  <=>  2b < correctPower.
    const most = Math.max(config.byzantine, Math.floor((correctPower - 1) / 2));
    for (let i = byzantineFrom; i < n; i++) {
      const k = i - byzantineFrom;
      validators[i].power = Math.floor(most / config.byzantine) + (k < most % config.byzantine ? 1 : 0);
    }
  }
  trace?.(`powers ${validators.map((v) => v.power).join(" ")}`);
  const genesisPriorities = initialPrioritySet(
    validators.map((v, i) => ({ id: i.toString(16).padStart(4, "0"), power: v.power })),
  );
  const nodes: SimNode[] = Array.from({ length: n }, (_, i) => ({
    index: i,
    byzantine: i >= byzantineFrom ? (config.byzantineMode ?? rng.pick(BYZANTINE_MODES)) : undefined,
    engine: makeEngine(),
    up: true,
    incarnation: 0,
    height: 0,
    wal: [],
    lastSigned: undefined,
    signed: new Map(),
    own: [],
    relay: new Map(),
    firstVotes: new Map(),
    held: new Set(),
    gossipTicks: 0,
    lastGossipAt: "",
    decidedTimes: [],
    decisions: new Map(),
    certificates: new Map(),
    seenVotes: new Map(),
    expectedEvidence: new Set(),
    reportedEvidence: new Set(),
    schedules: new Map([[1, genesisPriorities]]),
    firstProposals: new Map(),
  }));
  const coalitionMembers = nodes.filter((x) => x.byzantine === "coalition").map((x) => x.index);
  const coalition =
    coalitionMembers.length === 0
      ? undefined
      : new Coalition({
          rng,
          power: validators.map((v) => v.power),
          members: coalitionMembers,
          gstMs: GST_MS,
          proposer: (height, round) => paramsFor(nodes[0], height).proposer(round),
          log: (line) => log(line),
        });
  const correct = nodes.filter((x) => x.byzantine === undefined);
  const result: SimResult = {
    seed: config.seed,
    heightsDecided: 0,
    safetyViolations: [],
    livenessFailure: null,
    guardViolations: [],
    missingEvidence: [],
    virtualMs: 0,
    events: 0,
  };
  const decidedAt = new Map<number, string>(); // first decision per height among correct nodes
  let now = 0;

  const log = (line: string) => trace?.(`${String(now).padStart(7)} ${line}`);

  // ---- the network ----

  /** Before GST: random partitions come and go. */
  let partition: Set<number> | undefined;
  // The coalition is the network's adversary before GST (its own holds and crashes): no random partitions or
  // crash schedule on top of it, and fewer random drops.
  const randomFaults = faults && config.byzantineMode !== "coalition";
  const dropChance = randomFaults ? 0.1 : 0.02;
  if (randomFaults) {
    for (let t = rng.int(2000, 8000); t < GST_MS - 3000; t += rng.int(4000, 10_000)) {
      queue.push({ time: t, type: "crash", node: -1, downMs: rng.int(1000, 4000) }); // node -1: a partition
    }
    for (const node of correct) {
      if (rng.chance(0.5)) queue.push({ time: rng.int(1000, GST_MS - 6000), type: "crash", node: node.index, downMs: rng.int(500, 5000) });
    }
  }

  function send(from: number, to: number, msg: Message): void {
    if (from === to) return;
    const beforeGst = now < GST_MS;
    if (faults && beforeGst) {
      if (partition !== undefined && partition.has(from) !== partition.has(to)) return;
      if (rng.chance(dropChance)) return; // dropped
    }
    const delay = faults && beforeGst ? rng.int(1, 1500) : rng.int(1, 100);
    let at = now + delay;
    if (coalition !== undefined) {
      if (msg.kind === "proposal" || msg.kind === "vote") coalition.observe(to, msg);
      if (msg.kind !== "syncRequest") {
        const held = coalition.releaseTime(to, msg.kind === "certificate" ? { kind: "certificate", height: msg.proposal.height } : msg, now);
        if (held !== undefined) at = Math.max(at, held);
      }
    }
    queue.push({ time: at, type: "deliver", to, msg });
    if (faults && beforeGst && rng.chance(0.05)) queue.push({ time: now + rng.int(1, 2000), type: "deliver", to, msg });
  }

  function broadcast(from: number, msg: Message): void {
    for (let to = 0; to < n; to++) send(from, to, msg);
  }

  // ---- per-node host ----

  function paramsFor(node: SimNode, height: number): HeightParams {
    let start = node.schedules.get(height);
    if (start === undefined) {
      // Priorities advance once per height; derive from the last known height.
      let h = Math.max(...node.schedules.keys());
      start = node.schedules.get(h) as PrioritySet;
      while (h < height) {
        start = new ProposerSchedule(start).nextHeight();
        h++;
        node.schedules.set(h, start);
      }
    }
    const schedule = new ProposerSchedule(start);
    return {
      height,
      validators,
      proposer: (r) => schedule.proposer(r),
      self: node.index,
      timeouts: DEFAULT_TIMEOUTS,
    };
  }

  function valueFor(node: SimNode, height: number, round: number): string {
    const bad = node.byzantine === "invalid";
    return `${bad ? "bad" : "ok"}-h${height}-r${round}-n${node.index}-${rng.int(0, 1e9)}`;
  }

  function isValid(value: string): boolean {
    return value.startsWith("ok-");
  }

  function voteKey(v: Vote): string {
    return `${v.validator}/${v.height}/${v.round}/${v.type}`;
  }

  /** Feeds an input to a node's engine (after writing it to the WAL) and runs the effects. */
  function feed(node: SimNode, input: Input, replaying = false): void {
    if (!node.up) return;
    if (!replaying) {
      if (input.type === "startHeight") {
        // The new height's WAL: its start, then the inputs of that height the engine buffered before it.
        const h = input.params.height;
        node.wal = [input, ...node.wal.filter((i) => i.type !== "startHeight" && inputHeight(i) === h)];
      } else {
        node.wal.push(input);
      }
    }
    if (input.type === "vote" && node.byzantine === undefined) noteSeenVote(node, input.vote);
    if (input.type === "vote") remember(node, { kind: "vote", vote: input.vote });
    if (input.type === "proposal") {
      remember(node, { kind: "proposal", proposal: input.proposal });
      const key = `${input.proposal.height}/${input.proposal.round}`;
      if (!node.firstProposals.has(key)) node.firstProposals.set(key, input.proposal.value);
    }
    for (const effect of node.engine.handle(input)) runEffect(node, effect);
  }

  function messageKey(msg: Message): string {
    if (msg.kind === "vote") return `v${voteKey(msg.vote)}/${msg.vote.value}`;
    if (msg.kind === "proposal") return `p${msg.proposal.height}/${msg.proposal.round}/${msg.proposal.value}`;
    return "";
  }

  /** Records a message as held by this node, if its engine could use it (not refused as too far ahead). */
  function remember(node: SimNode, msg: Message): void {
    if (msg.kind !== "vote" && msg.kind !== "proposal") return;
    const { height, round } = msg.kind === "vote" ? msg.vote : msg.proposal;
    const e = node.engine;
    // Only what the engine keeps: this height (not too many rounds ahead) or the next one (it buffers those).
    if (height < e.height || height > e.height + 1) return;
    if (height === e.height && round > Math.max(e.currentRound, 0) + 10) return;
    const key = messageKey(msg);
    if (!node.relay.has(key)) node.relay.set(key, msg);
    // A conflicting vote may not have counted (its value was not proposed yet): relay it, but never tell
    // peers it is held, so they keep offering it until it can count.
    if (msg.kind === "vote") {
      const first = node.firstVotes.get(voteKey(msg.vote));
      if (first === undefined) node.firstVotes.set(voteKey(msg.vote), msg.vote.value);
      else if (first !== msg.vote.value) return;
    }
    node.held.add(key);
  }

  function noteSeenVote(node: SimNode, vote: Vote): void {
    const e = node.engine;
    if (vote.height !== e.height || e.decision !== null || vote.round > Math.max(e.currentRound, 0) + 10) return;
    const key = voteKey(vote);
    const first = node.seenVotes.get(key);
    if (first === undefined) node.seenVotes.set(key, vote);
    else if (first.value !== vote.value) node.expectedEvidence.add(key);
  }

  function sign(node: SimNode, height: number, round: number, step: number, payload: string): boolean {
    if (node.byzantine !== undefined) return true; // no guard on a Byzantine key
    // A message this key already signed is in the WAL with its signature: re-sent as is, not signed again.
    if (node.signed.get(`${height}/${round}/${step}`) === payload) return true;
    const req: SignedRecord = { height, round, step, payload };
    const decision = checkSignRequest(node.lastSigned, req);
    if (!decision.sign) {
      result.guardViolations.push(`node ${node.index}: guard refused: ${decision.reason}`);
      return false;
    }
    node.lastSigned = req;
    const key = `${height}/${round}/${step}`;
    const before = node.signed.get(key);
    if (before !== undefined && before !== payload) {
      result.guardViolations.push(`node ${node.index} signed conflicting messages at ${key}`);
    }
    node.signed.set(key, payload);
    return true;
  }

  function publish(node: SimNode, msg: Message): void {
    if (node.byzantine === "silent") return;
    if (node.byzantine === "coalition" && (msg.kind === "proposal" || msg.kind === "vote")) {
      coalitionPublish(node.index, msg);
      return;
    }
    if (node.byzantine === "amnesia" && msg.kind === "vote" && msg.vote.type === PREVOTE) {
      // Forgets its lock: prevotes the value it was proposed in this round if it looks valid.
      const shown = node.firstProposals.get(`${msg.vote.height}/${msg.vote.round}`);
      if (shown !== undefined && isValid(shown)) msg = { kind: "vote", vote: { ...msg.vote, value: shown } };
    }
    if (node.byzantine === "equivocate") {
      // Different things to different halves of the network (even and odd node indices). When a member of
      // the coalition proposes, all equivocators push the same two values, one per half: the attack that
      // splits decisions once Byzantine power reaches 1/3.
      const split = coalitionSplit(msg);
      for (let to = 0; to < n; to++) {
        const half = to % 2;
        send(node.index, to, split !== undefined ? split(half) : half === 0 ? msg : conflicting(node, msg));
      }
      return;
    }
    node.own.push(msg);
    remember(node, msg);
    broadcast(node.index, msg);
  }

  /**
   * A coalition member's message, once per (height, round, kind), shaped per recipient by the coalition. Its
   * members act in step with the correct validators (coalitionActs), not only when their own engines get
   * there: an engine that decided early would leave the height the coalition is still attacking.
   */
  function coalitionPublish(member: number, msg: Message): void {
    if (coalition === undefined || (msg.kind !== "proposal" && msg.kind !== "vote")) return;
    const { height, round } = msg.kind === "proposal" ? msg.proposal : msg.vote;
    const kind = msg.kind === "proposal" ? "p" : `v${msg.vote.type}`;
    if (!coalition.claim(member, height, round, kind)) return;
    const fresh = (valid: boolean) => `${valid ? "ok" : "bad"}-h${height}-r${round}-c${member}-${rng.int(0, 1e9)}`;
    for (let to = 0; to < n; to++) {
      const out = coalition.messageFor(to, msg, now, fresh);
      if (out !== undefined) send(member, to, out);
    }
  }

  /** A correct validator entered a round or voted: the coalition's members do the same at that point. */
  function coalitionActs(effect: Effect): void {
    if (coalition === undefined) return;
    for (const m of coalition.memberList) {
      if (effect.type === "newRound" && effect.proposer === m) {
        const value = `ok-h${effect.height}-r${effect.round}-c${m}-${rng.int(0, 1e9)}`;
        coalitionPublish(m, { kind: "proposal", proposal: { height: effect.height, round: effect.round, value, polRound: -1, validator: m } });
      } else if (effect.type === "publishVote") {
        coalitionPublish(m, { kind: "vote", vote: { ...effect.vote, value: null, validator: m } });
      }
    }
  }

  function coalitionSplit(msg: Message): ((half: number) => Message) | undefined {
    if (msg.kind !== "proposal" && msg.kind !== "vote") return undefined;
    const { height, round } = msg.kind === "proposal" ? msg.proposal : msg.vote;
    const proposer = nodes[paramsFor(nodes[0], height).proposer(round)];
    if (proposer.byzantine !== "equivocate") return undefined;
    const value = (half: number) => `ok-h${height}-r${round}-split${half}`;
    if (msg.kind === "proposal") return (half) => ({ kind: "proposal", proposal: { ...msg.proposal, value: value(half), polRound: -1 } });
    return (half) => ({ kind: "vote", vote: { ...msg.vote, value: value(half) } });
  }

  function conflicting(node: SimNode, msg: Message): Message {
    if (msg.kind === "proposal") {
      return { kind: "proposal", proposal: { ...msg.proposal, value: valueFor(node, msg.proposal.height, msg.proposal.round) } };
    }
    if (msg.kind === "vote") {
      const alt = msg.vote.value === null ? `ok-alt-${node.index}-${rng.int(0, 1e9)}` : null;
      return { kind: "vote", vote: { ...msg.vote, value: alt } };
    }
    return msg;
  }

  function runEffect(node: SimNode, effect: Effect): void {
    switch (effect.type) {
      case "newRound":
        log(`n${node.index} h${effect.height} r${effect.round} proposer n${effect.proposer}`);
        if (node.byzantine === undefined) coalitionActs(effect);
        return;
      case "publishProposal": {
        const p = effect.proposal;
        if (sign(node, p.height, p.round, STEP_PROPOSE, `${p.value}/${p.polRound}`)) publish(node, { kind: "proposal", proposal: p });
        return;
      }
      case "publishVote": {
        const v = effect.vote;
        const step = v.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT;
        log(`n${node.index} ${v.type === PREVOTE ? "prevotes" : "precommits"} h${v.height} r${v.round} ${v.value} ${JSON.stringify(node.engine.lock)}`);
        if (v.type === PREVOTE && v.value === null && trace !== undefined) {
          log(`   proposals r${v.round}: ${node.engine.describeProposals(v.round)} | r0 proposals ${node.engine.describeProposals(0)} | r0 ${node.engine.describeRound(0)}`);
        }
        if (node.byzantine === undefined && v.value !== null && !isValid(v.value)) {
          result.safetyViolations.push(`node ${node.index} (correct) voted for invalid ${v.value} at h${v.height} r${v.round}`);
        }
        if (sign(node, v.height, v.round, step, String(v.value))) publish(node, { kind: "vote", vote: v });
        if (node.byzantine === undefined) coalitionActs(effect);
        if (coalition !== undefined && node.byzantine === undefined) {
          const downMs = coalition.crashAfterPrecommit(node.index, v, now);
          if (downMs !== undefined) queue.push({ time: now, type: "crash", node: node.index, downMs });
        }
        return;
      }
      case "scheduleTimeout":
        queue.push({
          time: now + effect.durationMs,
          type: "input",
          node: node.index,
          incarnation: node.incarnation,
          input: { type: "timeout", kind: effect.kind, height: effect.height, round: effect.round },
        });
        return;
      case "getValue":
        queue.push({
          time: now + 1,
          type: "input",
          node: node.index,
          incarnation: node.incarnation,
          input: { type: "valueReady", height: effect.height, round: effect.round, value: valueFor(node, effect.height, effect.round) },
        });
        return;
      case "validate":
        queue.push({
          time: now + 1,
          type: "input",
          node: node.index,
          incarnation: node.incarnation,
          input: { type: "validity", height: effect.height, value: effect.value, valid: isValid(effect.value) },
        });
        return;
      case "decide":
        onDecide(node, effect.height, effect.round, effect.value, effect.precommits);
        return;
      case "evidence":
        node.reportedEvidence.add(voteKey(effect.second));
        return;
    }
  }

  function onDecide(node: SimNode, height: number, round: number, value: string, precommits: Vote[]): void {
    log(`n${node.index} decides h${height} r${round} ${value}${trace === undefined ? "" : ` | ${node.engine.describeRound(round)}`}`);
    if (node.byzantine === undefined) {
      const previous = node.decisions.get(height);
      if (previous !== undefined && previous !== value) {
        result.safetyViolations.push(`node ${node.index} decided twice at height ${height}: ${previous} then ${value}`);
      }
      if (!node.decisions.has(height)) node.decidedTimes.push(now);
      node.decisions.set(height, value);
      const first = decidedAt.get(height);
      if (first === undefined) decidedAt.set(height, value);
      else if (first !== value) {
        result.safetyViolations.push(`height ${height}: node ${node.index} decided ${value}, another correct node ${first}`);
      }
      if (!isValid(value)) result.safetyViolations.push(`height ${height}: node ${node.index} decided invalid ${value}`);
    }
    const proposal = findProposal(node, height, round, value);
    if (proposal !== undefined) node.certificates.set(height, { proposal, precommits });
    else if (!node.certificates.has(height)) {
      node.certificates.set(height, { proposal: { height, round, value, polRound: -1, validator: -1 }, precommits });
    }
    // Next height after the commit timeout, or at once if we already hold later commits (catching up).
    const delay = node.certificates.has(height + 1) ? 0 : COMMIT_TIMEOUT_MS;
    queue.push({ time: now + delay, type: "startHeight", node: node.index, incarnation: node.incarnation, height: height + 1 });
  }

  /** The proposal a decision was made on, from the WAL (the engine decided on it, so it is there). */
  function findProposal(node: SimNode, height: number, round: number, value: string): Proposal | undefined {
    for (const input of node.wal) {
      if (input.type === "proposal" && input.proposal.height === height && input.proposal.round === round && input.proposal.value === value) {
        return input.proposal;
      }
    }
    const own = node.own.find((m) => m.kind === "proposal" && m.proposal.round === round && m.proposal.value === value);
    return own?.kind === "proposal" ? own.proposal : undefined;
  }

  function startHeight(node: SimNode, height: number): void {
    if (height <= node.height) return;
    node.height = height;
    node.own = [];
    for (const key of node.firstProposals.keys()) if (Number(key.split("/")[0]) < height) node.firstProposals.delete(key);
    for (const [key, msg] of node.relay) {
      const h = msg.kind === "vote" ? msg.vote.height : msg.kind === "proposal" ? msg.proposal.height : -1;
      if (h < height) {
        node.relay.delete(key);
        node.held.delete(key);
      }
    }
    feed(node, { type: "startHeight", params: paramsFor(node, height) });
    const cert = node.certificates.get(height);
    if (cert !== undefined) applyCertificate(node, cert);
  }

  function applyCertificate(node: SimNode, cert: Certificate): void {
    if (cert.proposal.height !== node.height) return;
    log(`n${node.index} applies the commit of h${cert.proposal.height} (${cert.precommits.length} precommits)`);
    const { proposal, precommits } = cert;
    feed(node, { type: "certificate", height: proposal.height, round: proposal.round, value: proposal.value, precommits });
  }

  function receive(node: SimNode, msg: Message): void {
    if (!node.up || node.byzantine === "silent") return;
    switch (msg.kind) {
      case "proposal":
        maybeSync(node, msg.proposal.height, msg.proposal.validator);
        feed(node, { type: "proposal", proposal: msg.proposal });
        return;
      case "vote":
        maybeSync(node, msg.vote.height, msg.vote.validator);
        feed(node, { type: "vote", vote: msg.vote });
        return;
      case "syncRequest":
        for (let h = msg.height; h < node.height && h < msg.height + 20; h++) {
          const cert = node.certificates.get(h);
          if (cert !== undefined) send(node.index, msg.from, { kind: "certificate", ...cert });
        }
        return;
      case "certificate": {
        const h = msg.proposal.height;
        if (h < node.height || node.certificates.has(h)) return;
        node.certificates.set(h, { proposal: msg.proposal, precommits: msg.precommits });
        if (h === node.height) applyCertificate(node, msg);
        return;
      }
    }
  }

  /** A message from two or more heights ahead means we are behind: ask that peer for commits. */
  function maybeSync(node: SimNode, height: number, from: number): void {
    if (height > node.height + 1 && from !== node.index) {
      send(node.index, from, { kind: "syncRequest", from: node.index, height: node.height });
    }
  }

  /**
   * Gossip, as Tendermint's reactor does it: a correct node keeps re-sending its own messages and relays
   * what it received of the rounds that matter (current and previous round, its lock and valid rounds, and
   * the proof-of-lock round of the current proposal), so that after GST every correct node sees whatever
   * any correct node saw (the paper's gossip assumption), Byzantine senders' votes included.
   */
  function gossip(node: SimNode): void {
    const correct = node.up && node.byzantine === undefined;
    if (correct && (config.gossip === "node" || config.gossip === "own")) gossipAsTheNode(node);
    else if (correct) {
      const e = node.engine;
      const rounds = new Set([e.currentRound, e.currentRound - 1, e.lock.lockedRound, e.lock.validRound]);
      for (const msg of node.relay.values()) {
        if (msg.kind === "proposal" && msg.proposal.round === e.currentRound) rounds.add(msg.proposal.polRound);
      }
      // Like the reactor's HasVote bookkeeping: send a peer only what it does not have yet.
      for (const [key, msg] of node.relay) {
        if (msg.kind !== "vote" && msg.kind !== "proposal") continue;
        const { round, height, validator } = msg.kind === "vote" ? msg.vote : msg.proposal;
        if (height !== node.height || (validator !== node.index && !rounds.has(round))) continue;
        for (let to = 0; to < n; to++) if (to !== node.index && !nodes[to].held.has(key)) send(node.index, to, msg);
      }
      const last = node.certificates.get(node.height - 1);
      if (last !== undefined) for (let to = 0; to < n; to++) send(node.index, to, { kind: "certificate", ...last });
    }
    queue.push({ time: now + GOSSIP_INTERVAL_MS, type: "gossip", node: node.index, incarnation: node.incarnation });
  }

  /**
   * The "node" and "own" gossip (see SimConfig.gossip): what node/consensus-outbox.ts re-sends each tick. Its
   * bound on relayed votes (MAX_RELAYED_VOTES_PER_SECOND, 125) is not modelled: at 10 validators or fewer the
   * votes to relay stay under 60. Unlike the node, it sends each peer only what that peer lacks.
   */
  function gossipAsTheNode(node: SimNode): void {
    const e = node.engine;
    const { lockedRound, lockedValue, validRound, validValue } = e.lock;
    node.gossipTicks++;
    const at = `${node.height}/${e.currentRound}`;
    // Others' votes only from the second tick in the same round on, as the outbox relays them.
    const relays = config.gossip === "node" && at === node.lastGossipAt;
    node.lastGossipAt = at;
    for (const [key, msg] of node.relay) {
      if (msg.kind !== "vote" && msg.kind !== "proposal") continue;
      const { round, height, validator } = msg.kind === "vote" ? msg.vote : msg.proposal;
      if (height !== node.height) continue;
      const recent = msg.kind === "proposal"
        ? validator === node.index && round === e.currentRound && node.gossipTicks % 3 === 0
        : (round === e.currentRound || round === e.currentRound - 1) && (relays || validator === node.index);
      const value = msg.kind === "vote" ? msg.vote.value : undefined;
      const proofOfLock = relays && msg.kind === "vote" && msg.vote.type === PREVOTE &&
        ((round === validRound && value === validValue) || (round === lockedRound && value === lockedValue));
      if (!recent && !proofOfLock) continue;
      for (let to = 0; to < n; to++) if (to !== node.index && !nodes[to].held.has(key)) send(node.index, to, msg);
    }
    const last = node.certificates.get(node.height - 1);
    if (last !== undefined) for (let to = 0; to < n; to++) send(node.index, to, { kind: "certificate", ...last });
  }

  function crash(node: SimNode, downMs: number): void {
    if (!node.up) return;
    log(`n${node.index} crashes for ${downMs} ms`);
    node.up = false;
    node.incarnation++;
    queue.push({ time: now + downMs, type: "restart", node: node.index });
  }

  function restart(node: SimNode): void {
    log(`n${node.index} restarts, replaying ${node.wal.length} WAL inputs`);
    node.up = true;
    node.engine = makeEngine();
    node.seenVotes.clear();
    node.own = [];
    const wal = node.wal;
    for (const input of wal) feed(node, input, true);
    queue.push({ time: now + GOSSIP_INTERVAL_MS, type: "gossip", node: node.index, incarnation: node.incarnation });
  }

  // ---- run ----

  for (const node of nodes) {
    queue.push({ time: 0, type: "startHeight", node: node.index, incarnation: 0, height: 1 });
    queue.push({ time: GOSSIP_INTERVAL_MS, type: "gossip", node: node.index, incarnation: 0 });
  }
  const deadline = GST_MS + (config.heights + 4) * LIVENESS_BUDGET_PER_HEIGHT_MS;
  const done = () => correct.every((x) => x.decisions.size >= config.heights);
  while (!done()) {
    const event = queue.pop();
    if (event === undefined || event.time > deadline) break;
    now = event.time;
    result.events++;
    switch (event.type) {
      case "deliver":
        receive(nodes[event.to], event.msg);
        break;
      case "input": {
        const node = nodes[event.node];
        if (node.incarnation === event.incarnation) feed(node, event.input);
        break;
      }
      case "startHeight": {
        const node = nodes[event.node];
        if (node.incarnation === event.incarnation && node.up) startHeight(node, event.height);
        break;
      }
      case "crash":
        if (event.node === -1) {
          partition = new Set(nodes.filter(() => rng.chance(0.5)).map((x) => x.index));
          log(`partition ${[...partition].join(",")} | rest, for ${event.downMs} ms`);
          queue.push({ time: now + event.downMs, type: "restart", node: -1 });
        } else {
          crash(nodes[event.node], event.downMs);
        }
        break;
      case "restart":
        if (event.node === -1) partition = undefined;
        else restart(nodes[event.node]);
        break;
      case "gossip": {
        const node = nodes[event.node];
        if (node.incarnation === event.incarnation) gossip(node);
        break;
      }
    }
  }
  result.virtualMs = now;
  result.heightsDecided = Math.min(...correct.map((x) => x.decisions.size));
  for (const node of correct) {
    const times = [GST_MS, ...node.decidedTimes.filter((t) => t > GST_MS)];
    for (let i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] > MAX_STALL_AFTER_GST_MS) {
        result.livenessFailure ??= `node ${node.index} decided nothing for ${times[i] - times[i - 1]} ms after GST`;
      }
    }
  }
  if (!done()) {
    result.livenessFailure = `after ${now} ms virtual (GST at ${GST_MS}), correct nodes decided ${correct
      .map((x) => `n${x.index}:${x.decisions.size}`)
      .join(" ")} of ${config.heights} heights`;
  }
  for (const node of correct) {
    for (const key of node.expectedEvidence) {
      if (!node.reportedEvidence.has(key)) result.missingEvidence.push(`node ${node.index} saw equivocation ${key} but reported none`);
    }
  }
  return result;
}

export { PRECOMMIT, PREVOTE };
