import { idKey, MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The key prefixes RPC may list of the governance module (so that nothing outside it builds its keys). */
export const govScans = {
  /** Every proposal record, by id (8). */
  proposals: (): Uint8Array => MODULE_PREFIX.govProposal,
  /** A proposal's votes, by voter address (20). */
  votesOf: (proposalId: number): Uint8Array => stateKey(MODULE_PREFIX.govVote, idKey(proposalId)),
  /** A proposal's deposits, by depositor address (20). */
  depositsOf: (proposalId: number): Uint8Array => stateKey(MODULE_PREFIX.govDeposit, idKey(proposalId)),
};
