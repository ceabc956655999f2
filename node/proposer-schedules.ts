import type { Logger } from "pino";
import type { Application } from "../consensus/application.ts";
import {
  advancePriorities,
  initialPrioritySet,
  type PriorityCheckpoint,
  type PrioritySet,
  ProposerSchedule,
} from "../consensus/proposer.ts";
import { toHex } from "../crypto/bytes.ts";

/**
 * Who proposes each round of a height, for the consensus driver: proposer priorities walked forward from
 * genesis (or from the latest checkpoint this node saved, if it agrees with the chain), one step per height,
 * carried over to each new validator set where it takes effect. The schedules of the current and the next
 * height are kept (a peer's proposal for the next height is checked against its proposer before this node
 * gets there). A checkpoint is saved every CHECKPOINT_INTERVAL committed heights, so a restart walks from it
 * instead of from genesis.
 */
export class ProposerSchedules {
  private readonly app: Pick<Application, "validators" | "validatorSetSince" | "info">;
  private readonly log: Logger;
  private readonly save: ((c: PriorityCheckpoint) => void) | undefined;
  /** The checkpoint loaded at start-up, until found not to agree with the chain. */
  private loaded: PriorityCheckpoint | undefined;
  /** The latest checkpoint saved while running (newer than the one loaded at start-up). */
  private saved: PriorityCheckpoint | undefined;
  /** Priorities as far as walked. */
  private priorities: PriorityCheckpoint | undefined;
  private readonly schedules = new Map<number, ProposerSchedule>();

  constructor(deps: {
    app: Pick<Application, "validators" | "validatorSetSince" | "info">;
    /** Priorities this node saved earlier (local, derived from the chain). */
    checkpoint?: PriorityCheckpoint;
    /** Called every CHECKPOINT_INTERVAL committed heights of the walk. */
    saveCheckpoint?: (c: PriorityCheckpoint) => void;
    log: Logger;
  }) {
    this.app = deps.app;
    this.loaded = deps.checkpoint;
    this.save = deps.saveCheckpoint;
    this.log = deps.log;
  }

  /** The proposer schedule of a height (the current or the next), computed once. */
  at(height: number): ProposerSchedule {
    let schedule = this.schedules.get(height);
    if (schedule === undefined) {
      // The priorities only walk forward cheaply: keep the height before's schedule on the way, since the
      // current height's is often asked for right after the next one's.
      const cachedAt = this.priorities?.height ?? 0;
      if (height > 1 && !this.schedules.has(height - 1) && cachedAt <= height - 1) {
        this.schedules.set(height - 1, new ProposerSchedule(this.prioritiesAt(height - 1)));
      }
      schedule = new ProposerSchedule(this.prioritiesAt(height));
      this.schedules.set(height, schedule);
      for (const h of this.schedules.keys()) if (h < height - 1) this.schedules.delete(h);
    }
    return schedule;
  }

  /**
   * Proposer priorities at `height`: genesis priorities advanced once per height, carried over to each new
   * validator set where it takes effect (app.validatorSetSince(h) === h).
   */
  private prioritiesAt(height: number): PrioritySet {
    const idsOf = (h: number) => this.app.validators(h).map((v) => ({ id: toHex(v.address), power: v.power }));
    if (this.priorities === undefined || this.priorities.height > height) {
      // From the latest checkpoint at or below `height` if this node saved one, else from genesis.
      const saved = this.usableCheckpoint();
      this.priorities =
        saved !== undefined && saved.height <= height ? saved : { height: 1, set: initialPrioritySet(idsOf(1)) };
    }
    this.priorities = advancePriorities(
      this.priorities,
      height,
      (h) => (this.app.validatorSetSince(h) === h ? idsOf(h) : undefined),
      (c) => {
        // Only for committed heights: their sets can no longer change (and the latest is what a restart needs).
        if (c.height > this.app.info().height) return;
        this.saved = c;
        this.save?.(c);
      },
    );
    return this.priorities.set;
  }

  /**
   * The latest checkpoint this node saved, if it agrees with the chain: its set must be exactly the
   * validators of its height (ids and powers, in order). A damaged one is ignored (the walk starts from
   * genesis), never trusted: wrong priorities would make this node ignore real proposers.
   */
  private usableCheckpoint(): PriorityCheckpoint | undefined {
    const c = this.saved ?? this.loaded;
    if (c === undefined) return undefined;
    const validators = c.height >= 1 ? this.app.validators(c.height) : [];
    const agrees =
      c.height >= 1 &&
      c.height <= this.app.info().height &&
      c.set.length === validators.length &&
      c.set.every((v, i) => v.id === toHex(validators[i].address) && v.power === BigInt(validators[i].power));
    if (!agrees) {
      this.log.warn({ height: c.height }, "ignoring a proposer-priority checkpoint that does not match the chain");
      this.saved = undefined;
      this.loaded = undefined;
      return undefined;
    }
    return c;
  }
}
