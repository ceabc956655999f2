import { addressFromPublicKey, encodeAddress } from "../../../crypto/address.ts";
import { compareBytes, equalBytes, u64be, utf8 } from "../../../crypto/bytes.ts";
import { verify } from "../../../crypto/ed25519.ts";
import { sha256 } from "../../../crypto/hash.ts";
import type { ModuleMsg, StakingMsg } from "../../../proto/module-msgs.ts";
import { delegationKey, evidenceKey, validatorKey } from "./keys.ts";
import { addressListCodec, type StakingValidator, stakingValidatorCodec } from "../../../proto/module-records.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import type { BlockContext } from "../../block-context.ts";
import type { GenesisValidator } from "../../genesis.ts";
import { MODULE_PREFIX, PRESENT, stateKey } from "../../keys.ts";
import { type ChainParams, PPM, type StakingParams } from "../../params.ts";
import type { Overlay } from "../../view.ts";
import { getAccount, setAccount } from "../bank/bank.ts";
import { creditTreasury, event, writeAmount } from "../common.ts";
import { sharesChanged } from "../gov/stake-hook.ts";
import {
  getCandidates,
  getShares,
  getValidator,
  isJailed,
  operatorOf,
  sharesValue,
  unbondingEntries,
} from "./queries.ts";
import { addPool } from "./pool.ts";
import { completeUnbonding, MAX_UNBONDING_ENTRIES, slashUnbonding, startUnbonding } from "./unbonding.ts";

/**
 * Staking: validators, the stake bonded to them, unbonding, jailing and slashing, and the validator set
 * consensus runs with. Stake is held as shares of a validator's tokens (as in the Cosmos SDK), so a slash
 * lowers every staker's bond in proportion by changing one number, without visiting each staker.
 *
 * The set of height H + 2 is decided at the end of block H (as in Tendermint): a block's header already
 * names the sets of its own height and the next, so both must be known before the block executes.
 */

// The getters are queries.ts's; their callers import them from here too.
export * from "./queries.ts";
export { check, spend } from "./msg-checks.ts";
export { MAX_UNBONDING_ENTRIES } from "./unbonding.ts";

/** Jailed for good (a tombstoned validator): no unjail ever reaches this height. */
const FOREVER = Number.MAX_SAFE_INTEGER;

// ---- writing (reading is queries.ts) ----

function setValidator(view: Overlay, v: StakingValidator): void {
  view.set(validatorKey(v.operator), stakingValidatorCodec.encode(v));
}

function setShares(view: Overlay, delegator: Uint8Array, operator: Uint8Array, shares: bigint): void {
  // Shares are stored as an amount (minimal big-endian); zero deletes the stake and its index entry.
  writeAmount(view, delegationKey(delegator, operator), shares);
  const index = stateKey(MODULE_PREFIX.stakingDelegationByValidator, operator, delegator);
  if (shares > 0n) view.set(index, PRESENT);
  else if (view.get(index) !== undefined) view.delete(index);
  // A vote in progress that counts these shares counts the new amount (governance's running tally).
  sharesChanged(view, delegator, operator, shares);
}

// ---- messages ----

const POSSESSION_DOMAIN = utf8("OPL/consensus-key-possession/v1");

/**
 * What a consensus key signs to prove it belongs to an operator: sha256(domain || 0x00 || chain id || 0x00 ||
 * operator address). Without it anyone could register (or front-run) a key that is not theirs; the domain
 * keeps it from ever being a valid vote, proposal or transaction signature.
 */
export function possessionSignBytes(chainId: string, operator: Uint8Array): Uint8Array {
  return sha256(POSSESSION_DOMAIN, Uint8Array.of(0), utf8(chainId), Uint8Array.of(0), operator);
}

export function apply(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[] {
  const m = msg as StakingMsg;
  const params = ctx.params.staking;
  switch (m.type) {
    case "create_validator":
      if (!verify(possessionSignBytes(ctx.chainId, sender), m.consensusSignature, m.consensusPubkey)) {
        throw new TxError(
          "UNAUTHORIZED",
          "the consensus key did not sign this operator's claim to it (proof of possession): " +
          `sign possessionSignBytes("${ctx.chainId}", ${encodeAddress(sender)}) with the consensus key`,
        );
      }
      return createValidator(view, sender, m.consensusPubkey, m.moniker, m.selfStake, ctx.height, params);
    case "stake":
      return [delegate(view, sender, m.validator, m.amount, params)];
    case "unstake":
      return undelegate(view, sender, m.validator, m.amount, ctx.height, params);
    case "unjail":
      return [unjail(view, sender, ctx.height, params.minSelfStake)];
  }
}

function createValidator(
  view: Overlay,
  operator: Uint8Array,
  consensusPubkey: Uint8Array,
  moniker: string,
  selfStake: bigint,
  height: number,
  params: StakingParams,
): TxEvent[] {
  if (getValidator(view, operator) !== undefined) {
    throw new TxError("INVALID_STATE", `${encodeAddress(operator)} already operates a validator`);
  }
  const consensusAddress = addressFromPublicKey(consensusPubkey);
  if (operatorOf(view, consensusAddress) !== undefined) {
    throw new TxError("INVALID_STATE", `consensus key ${encodeAddress(consensusAddress)} is already in use`);
  }
  if (selfStake < params.minSelfStake) {
    throw new TxError("INSUFFICIENT_STAKE", `self-stake ${selfStake} is below the minimum ${params.minSelfStake}`);
  }
  setValidator(view, {
    operator,
    consensusPubkey,
    moniker,
    tokens: 0n,
    shares: 0n,
    jailedUntil: 0,
    tombstoned: false,
    missWindow: 0,
    windowMissed: 0,
    createdHeight: height,
    slashed: 0n,
  });
  view.set(stateKey(MODULE_PREFIX.stakingConsensus, consensusAddress), operator);
  const staked = delegate(view, operator, operator, selfStake, params);
  return [
    event("create_validator", {
      validator: encodeAddress(operator),
      consensus_address: encodeAddress(consensusAddress),
      moniker,
    }),
    staked,
  ];
}

/** Genesis validators go through the same path as a create_validator transaction. */
export function createGenesisValidator(view: Overlay, v: GenesisValidator, params: ChainParams): void {
  try {
    createValidator(view, v.operator, v.pubkey, v.moniker, v.selfStake, 0, params.staking);
  } catch (err) {
    if (err instanceof TxError) {
      throw new Error(`genesis validator ${encodeAddress(v.address)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Validators with stake (a validator everyone unstaked from leaves the list, so slots cannot be hoarded). */
function addCandidate(view: Overlay, operator: Uint8Array, params: StakingParams): void {
  const candidates = getCandidates(view);
  if (candidates.length >= params.maxCandidates) {
    throw new TxError("LIMIT_EXCEEDED", `there are already ${candidates.length} validators with stake, the most allowed`);
  }
  candidates.push(operator);
  candidates.sort(compareBytes);
  view.set(MODULE_PREFIX.stakingCandidates, addressListCodec.encode(candidates));
}

function delegate(
  view: Overlay,
  delegator: Uint8Array,
  operator: Uint8Array,
  amount: bigint,
  params: StakingParams,
): TxEvent {
  const v = getValidator(view, operator);
  if (v === undefined) throw new TxError("NOT_FOUND", `${encodeAddress(operator)} is not a validator`);
  if (v.tombstoned) {
    throw new TxError("INVALID_STATE", `validator ${encodeAddress(operator)} was slashed for double signing`);
  }
  if (v.shares > 0n && v.tokens === 0n) {
    throw new TxError("INVALID_STATE", `validator ${encodeAddress(operator)} has no bonded tokens left`);
  }
  const account = getAccount(view, delegator);
  if (account.balance < amount) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${encodeAddress(delegator)} has ${account.balance}, staking needs ${amount}`,
    );
  }
  const newShares = v.shares === 0n ? amount : (amount * v.shares) / v.tokens;
  if (newShares === 0n) throw new TxError("INVALID_MSG", `stake of ${amount} is too small to buy a share`);
  if (v.shares === 0n) {
    // New, or staked again after everyone left: listed again only with its operator's minimum self-stake,
    // so candidate slots cannot be held for a base unit each.
    if (!equalBytes(delegator, operator) || amount < params.minSelfStake) {
      throw new TxError(
        "INVALID_STATE",
        `validator ${encodeAddress(operator)} has no stake; its operator must stake at least ` +
        `${params.minSelfStake} to list it again`,
      );
    }
    addCandidate(view, operator, params);
  }
  setAccount(view, delegator, { ...account, balance: account.balance - amount });
  setValidator(view, { ...v, tokens: v.tokens + amount, shares: v.shares + newShares });
  setShares(view, delegator, operator, getShares(view, delegator, operator) + newShares);
  addPool(view, amount, 0n);
  return event("stake", {
    delegator: encodeAddress(delegator),
    validator: encodeAddress(operator),
    amount: amount.toString(),
  });
}

function undelegate(
  view: Overlay,
  delegator: Uint8Array,
  operator: Uint8Array,
  amount: bigint,
  height: number,
  params: StakingParams,
): TxEvent[] {
  const v = getValidator(view, operator);
  if (v === undefined) throw new TxError("NOT_FOUND", `${encodeAddress(operator)} is not a validator`);
  const shares = getShares(view, delegator, operator);
  const value = sharesValue(v, shares);
  if (shares === 0n) {
    throw new TxError(
      "INSUFFICIENT_STAKE",
      `${encodeAddress(delegator)} has no stake with validator ${encodeAddress(operator)}`,
    );
  }
  if (amount > value) {
    throw new TxError(
      "INSUFFICIENT_STAKE",
      `unstaking ${amount}, but ${encodeAddress(delegator)} has only ${value} staked with validator ` +
      encodeAddress(operator),
      { staked: value.toString(), requested: amount.toString() },
    );
  }
  const entries = unbondingEntries(view, delegator);
  if (entries.length >= MAX_UNBONDING_ENTRIES) {
    throw new TxError("LIMIT_EXCEEDED", `${MAX_UNBONDING_ENTRIES} unbondings are already in progress`);
  }
  // Rounds the shares taken up, so the stakers who stay never pay for the one who leaves.
  const burned = amount === value ? shares : (amount * v.shares + v.tokens - 1n) / v.tokens;
  let tokens = v.tokens - amount;
  const remainingShares = v.shares - burned;
  if (remainingShares === 0n && tokens > 0n) {
    // Rounding dust left when the last share goes: owned by nobody, so it goes to the treasury.
    creditTreasury(view, tokens);
    addPool(view, -tokens, 0n);
    tokens = 0n;
  }
  setValidator(view, { ...v, tokens, shares: remainingShares });
  setShares(view, delegator, operator, shares - burned);
  addPool(view, -amount, amount);
  const completionHeight = height + params.unbondingBlocks;
  startUnbonding(view, entries, { delegator, validator: operator, amount, completionHeight, creationHeight: height });
  const events = [];
  if (equalBytes(delegator, operator) && !isJailed(v)) {
    // An operator below the minimum self-stake is jailed (as in the Cosmos SDK) until it stakes enough again.
    const self = sharesValue({ ...v, tokens, shares: remainingShares }, shares - burned);
    if (self < params.minSelfStake) {
      setValidator(view, { ...getValidator(view, operator)!, jailedUntil: height });
      events.push(
        event("jail", {
          validator: encodeAddress(operator),
          reason: "self_stake_below_minimum",
          jailed_until: String(height),
        }),
      );
    }
  }
  if (remainingShares === 0n) removeCandidate(view, operator); // frees its slot; staking to it again restores it
  return [event("unstake", {
    delegator: encodeAddress(delegator),
    validator: encodeAddress(operator),
    amount: amount.toString(),
    completion_height: String(completionHeight),
  }), ...events];
}

function removeCandidate(view: Overlay, operator: Uint8Array): void {
  const candidates = getCandidates(view);
  const rest = candidates.filter((a) => !equalBytes(a, operator));
  if (rest.length !== candidates.length) view.set(MODULE_PREFIX.stakingCandidates, addressListCodec.encode(rest));
}

function unjail(view: Overlay, operator: Uint8Array, height: number, minSelfStake: bigint): TxEvent {
  const v = getValidator(view, operator);
  if (v === undefined) throw new TxError("NOT_FOUND", `${encodeAddress(operator)} is not a validator`);
  if (v.tombstoned) {
    throw new TxError(
      "INVALID_STATE",
      `validator ${encodeAddress(operator)} was slashed for double signing and is jailed for good`,
    );
  }
  if (v.jailedUntil === 0) throw new TxError("INVALID_STATE", `validator ${encodeAddress(operator)} is not jailed`);
  const selfStake = sharesValue(v, getShares(view, operator, operator));
  if (selfStake < minSelfStake) {
    throw new TxError(
      "INSUFFICIENT_STAKE",
      `validator ${encodeAddress(operator)} has a self-stake of ${selfStake}, below the minimum ${minSelfStake}`,
    );
  }
  if (height < v.jailedUntil) {
    throw new TxError(
      "STILL_JAILED",
      `validator ${encodeAddress(operator)} is jailed until height ${v.jailedUntil}; this is height ${height}`,
      { jailedUntil: v.jailedUntil },
    );
  }
  setValidator(view, { ...v, jailedUntil: 0, windowMissed: 0 });
  return event("unjail", { validator: encodeAddress(operator) });
}

// ---- block hooks ----

/** Slashes committed equivocations, then counts who signed the last block. */
export function beginBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  const events: TxEvent[] = [];
  const params = ctx.params.staking;
  for (const e of ctx.evidence) {
    const seenKey = evidenceKey(e.hash);
    if (view.get(seenKey) !== undefined) continue;
    view.set(seenKey, u64be(ctx.height));
    const operator = operatorOf(view, e.validator);
    const v = operator === undefined ? undefined : getValidator(view, operator);
    if (v === undefined || v.tombstoned) continue; // punished once, however many equivocations
    const bonded = (v.tokens * BigInt(params.slashDoubleSignPpm)) / BigInt(PPM);
    const unbonding = slashUnbonding(view, v.operator, e.height, ctx.height, params);
    const slash = bonded + unbonding;
    setValidator(view, {
      ...v,
      tokens: v.tokens - bonded,
      slashed: v.slashed + slash,
      tombstoned: true,
      jailedUntil: FOREVER,
    });
    addPool(view, -bonded, -unbonding);
    creditTreasury(view, slash);
    events.push(
      event("slash", {
        validator: encodeAddress(v.operator),
        consensus_address: encodeAddress(e.validator),
        reason: "double_sign",
        infraction_height: String(e.height),
        amount: slash.toString(),
      }),
    );
  }
  // Liveness in fixed windows of signedBlocksWindow heights: a validator missing more than maxMissedBlocks
  // of one window's last commits is jailed. Only misses write state.
  const window = Math.floor(ctx.height / params.signedBlocksWindow);
  for (const vote of ctx.lastCommitVotes) {
    if (vote.signed) continue;
    const operator = operatorOf(view, vote.address);
    const v = operator === undefined ? undefined : getValidator(view, operator);
    if (v === undefined || isJailed(v)) continue;
    const windowMissed = (v.missWindow === window ? v.windowMissed : 0) + 1;
    if (windowMissed > params.maxMissedBlocks) {
      const jailedUntil = ctx.height + params.downtimeJailBlocks;
      setValidator(view, { ...v, jailedUntil, missWindow: window, windowMissed: 0 });
      events.push(
        event("jail", {
          validator: encodeAddress(v.operator),
          reason: "downtime",
          missed: String(windowMissed),
          jailed_until: String(jailedUntil),
        }),
      );
    } else {
      setValidator(view, { ...v, missWindow: window, windowMissed });
    }
  }
  return events;
}

/** Unbondings that complete at this height pay out (the validator set is scheduled after: validator-set.ts). */
export function endBlock(view: Overlay, ctx: BlockContext): TxEvent[] {
  return completeUnbonding(view, ctx.height);
}
