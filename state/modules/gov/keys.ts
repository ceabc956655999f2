import { utf8 } from "../../../crypto/bytes.ts";
import { sha256 } from "../../../crypto/hash.ts";
import { VOTE_OPTION_NUMBER, type VoteOption } from "../../../proto/gov-msgs.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";
import type { SeqList } from "../seq-list.ts";

/** The governance module's state keys (state/keys.ts documents each prefix). */

export const proposalKey = (id: number): Uint8Array => stateKey(MODULE_PREFIX.govProposal, idKey(id));
export const depositKey = (id: number, depositor: Uint8Array): Uint8Array =>
  stateKey(MODULE_PREFIX.govDeposit, idKey(id), depositor);
export const votedSharesKey = (id: number, operator: Uint8Array, option: VoteOption): Uint8Array =>
  stateKey(MODULE_PREFIX.govVotedShares, idKey(id), operator, Uint8Array.of(VOTE_OPTION_NUMBER[option]));
/** Upgrade names are 1-64 bytes: keyed by their hash, so every key under the prefix has one length. */
export const upgradeDoneKey = (name: string): Uint8Array => stateKey(MODULE_PREFIX.govUpgradeDone, sha256(utf8(name)));
/** The chain params record (written when a change executes: a commit that writes it changes the params in force). */
export const PARAMS_KEY: Uint8Array = MODULE_PREFIX.govParams;
export const voteKey = (id: number, voter: Uint8Array): Uint8Array => stateKey(MODULE_PREFIX.govVote, idKey(id), voter);

/** Who deposited to a proposal (part: the proposal id), in order: refunds visit each once. */
export const DEPOSITORS: SeqList = { entries: MODULE_PREFIX.govDepositors, counts: MODULE_PREFIX.govDepositorsCount };
/** Who voted on a proposal (part: the proposal id), each once in the order of its first vote: the tally's list. */
export const VOTERS: SeqList = { entries: MODULE_PREFIX.govVoters, counts: MODULE_PREFIX.govVotersCount };
