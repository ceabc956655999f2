/**
 * What the engine is told at the start of a height: the validators' powers, who proposes each round, and the
 * part this validator takes: whether it votes (its signer state must not be past this height) and from
 * which round (not the rounds it signed in if the WAL lost what it signed).
 */
import type { HeightParams, TimeoutConfig } from "../consensus/engine/types.ts";
import type { ProposerSchedule } from "../consensus/proposer.ts";
import type { Logger } from "pino";
import type { Validator } from "../proto/block.ts";
import { validatorIndex } from "./consensus-checks.ts";
import type { OwnSignatures } from "./own-signatures.ts";
import type { GuardedSigner } from "./signer.ts";

export interface HeightParamsDeps {
  /** The validator set of the height. */
  validators: Validator[];
  schedule: ProposerSchedule;
  signer: GuardedSigner;
  own: OwnSignatures;
  timeouts: TimeoutConfig;
  log: Logger;
}

export function heightParamsAt(height: number, d: HeightParamsDeps): HeightParams {
  const index = validatorIndex(d.validators, d.signer.address);
  let self = index >= 0 ? index : undefined;
  let firstRound = 0;
  const last = d.signer.lastSigned;
  if (self !== undefined && last !== undefined && last.height > height) {
    // The signer state is past this height (a database moved away to sync again): the guard would refuse
    // every message here, so this node only follows until it reaches the height it signed at.
    d.log.warn({ height, signedHeight: last.height }, "the signer signed at a later height: not voting here");
    self = undefined;
  } else if (self !== undefined && last?.height === height && !d.own.hasIntent(last.step, last.round)) {
    // Signed at this height, but the WAL does not say what (it was moved away or lost): what this node voted
    // up to that round is unknown, so it sits those rounds out instead of asking the guard to sign again.
    firstRound = last.round + 1;
    d.log.warn({ height, round: firstRound }, "the WAL does not hold what was signed at this height: starting at a later round");
  }
  return {
    height,
    validators: d.validators.map((v) => ({ power: v.power })),
    proposer: (r) => d.schedule.proposer(r),
    self,
    timeouts: d.timeouts,
    firstRound,
  };
}
