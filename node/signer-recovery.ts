import { existsSync } from "node:fs";
import type { Logger } from "pino";
import type { ChainInfo } from "../consensus/application.ts";
import { STEP_PRECOMMIT } from "../consensus/signer-guard.ts";
import { equalBytes, toBase64, toHex } from "../crypto/bytes.ts";
import type { Commit, Validator } from "../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../proto/consensus.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { writeSecretFile } from "./key-file.ts";
import { signerStateText } from "./signer.ts";

/**
 * A validator whose signer state (priv_validator_state.json, the double-sign guard's memory) is gone, on a
 * chain past height 0: starting would let it sign again at a step it may already have signed.
 */
export class SignerStateMissingError extends Error {
  override name = "SignerStateMissingError";
}

/** The opl start flag that rebuilds a missing signer state from the block store (see checkSignerState). */
export const RECOVER_SIGNER_FLAG = "--unsafe-recover-signer-state";

/** How many of the latest heights are searched for this validator's own precommit. */
const SEARCH_HEIGHTS = 100;

export interface OwnPrecommit {
  height: number;
  round: number;
  blockHash: Uint8Array;
  timeMs: number;
  signature: Uint8Array;
}

function ownSig(commit: Commit | undefined, address: Uint8Array): OwnPrecommit | undefined {
  const sig = commit?.signatures.find((s) => equalBytes(s.validatorAddress, address));
  if (commit === undefined || sig === undefined) return undefined;
  const { height, round, blockHash } = commit;
  return { height, round, blockHash, timeMs: sig.timeMs, signature: sig.signature };
}

/**
 * This validator's latest precommit in the block store: in the commit stored with each of the latest heights,
 * or in the next block's last commit (which also carries precommits that came after the decision).
 */
export async function lastOwnPrecommit(
  db: ChainDb,
  address: Uint8Array,
  latest: number,
): Promise<OwnPrecommit | undefined> {
  for (let h = latest; h >= 1 && h > latest - SEARCH_HEIGHTS; h--) {
    const found =
      ownSig((await db.getBlockMeta(h))?.commit, address) ??
      (h < latest ? ownSig((await db.getBlock(h + 1))?.lastCommit, address) : undefined);
    if (found !== undefined) return found;
  }
  return undefined;
}

export interface SignerCheck {
  statePath: string;
  address: Uint8Array;
  info: ChainInfo;
  /** The validator set of the next height (the one this node would sign at). */
  validators: Validator[];
  db: ChainDb;
  /** RECOVER_SIGNER_FLAG was given. */
  recover: boolean;
  log: Logger;
}

function missingWhy(height: number, own: OwnPrecommit | undefined, isValidator: boolean): string {
  if (height === 0) {
    return "the database holds no block yet, so nothing shows what this key signed before (opl init writes " +
      "the file with the key: a key without one was moved here, or its home was wiped)";
  }
  return `the chain is at height ${height} and this key ` +
    `${own !== undefined ? `signed a precommit at height ${own.height}` : isValidator ? "is a validator" : "may be one"}`;
}

/**
 * Before the signer loads. opl init writes the signer state with the key, so a missing one is a lost file or
 * a moved key: refused, except for a key that is not a validator and signed nothing lately in a database
 * that holds blocks (a full node of an older home). Otherwise the start is refused, unless `recover`:
 * then the state is rebuilt from this validator's latest precommit in the block store (exact sign bytes and
 * signature), so the guard refuses anything at or below it. What it signed after that precommit (at the
 * height then in progress) is not in any block and stays unknown: that is the flag's risk.
 */
export async function checkSignerState(c: SignerCheck): Promise<void> {
  if (existsSync(c.statePath)) return;
  const own = await lastOwnPrecommit(c.db, c.address, c.info.height);
  const isValidator = c.validators.some((v) => equalBytes(v.address, c.address));
  // A database with no block cannot tell what this key is at the tip (a moved key, a home wiped to sync
  // again): refused for every key. A home made by opl init has its "nothing signed yet" state.
  if (c.info.height > 0 && !isValidator && own === undefined) return;
  if (!c.recover) {
    throw new SignerStateMissingError(
      `the signer state ${c.statePath} is missing, but ${missingWhy(c.info.height, own, isValidator)}: starting without ` +
      "it could sign a vote conflicting with one signed before the file was lost (a double-sign, which is " +
      "slashed). Restore priv_validator_state.json and cs.wal from where they were lost if you can. Otherwise " +
      `start once with ${RECOVER_SIGNER_FLAG}: it rebuilds the signer state from this validator's latest ` +
      `precommit in the block store${own !== undefined ? ` (height ${own.height})` : ""}; anything it signed ` +
      "after that, at the height then in progress, is not known, and signing it again differently is a " +
      "double-sign.",
    );
  }
  const state =
    own !== undefined
      ? {
          height: own.height,
          round: own.round,
          step: STEP_PRECOMMIT,
          payload: toHex(
            voteSignBytes(c.info.chainId, {
              type: PRECOMMIT,
              height: own.height,
              round: own.round,
              blockHash: own.blockHash,
              timeMs: own.timeMs,
              validatorAddress: c.address,
            }),
          ),
          signature: toBase64(own.signature),
        }
      : // No precommit of ours in the latest blocks: at least never sign at or below the stored chain.
        { height: c.info.height, round: 0, step: STEP_PRECOMMIT, payload: "", signature: "" };
  writeSecretFile(c.statePath, signerStateText(state));
  c.log.warn(
    { height: state.height, round: state.round, fromBlockStore: own !== undefined },
    "signer state was missing: rebuilt from this validator's own precommits in the block store",
  );
}
