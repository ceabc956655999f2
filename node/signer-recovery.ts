import type { Logger } from "pino";
import type { ChainInfo } from "../consensus/application.ts";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../consensus/signer-guard.ts";
import { equalBytes, fromHex, toBase64, toHex } from "../crypto/bytes.ts";
import type { Commit, Validator } from "../proto/block.ts";
import { PRECOMMIT, PREVOTE, voteSignBytes } from "../proto/consensus.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { writeSecretFile } from "./key-file.ts";
import { signerStateText } from "./signer.ts";
import { signerStateExists } from "./signer-state-store.ts";
import type { ValidatorKey } from "./validator-key.ts";
import { readWal } from "./wal.ts";

interface SignerStateFields {
  height: number;
  round: number;
  step: number;
  payload: string;
  signature: string;
}

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

/** The WAL records read here (the driver's WalRecord, node/consensus-driver.ts: only these fields matter). */
type OwnWalRecord =
  | { t: "height"; height: number }
  | { t: "intent"; step: number; height: number; round: number; value: string | null; timeMs: number }
  | { t: "signed"; step: number; height: number; round: number; value: string | null; timeMs: number; signature: string }
  | { t: "input" };

/**
 * The furthest this validator got at the height in progress by its WAL: the last intent (written before the
 * signature and durable before the signature left, so nothing later was released), with its exact sign bytes. A vote's bytes are rebuilt from the
 * intent and signed again if the WAL holds no signature (ed25519 is deterministic: the same bytes give the
 * same signature, and these bytes are the only thing that may have been signed at that step). A proposal's
 * bytes need its proof-of-lock round, which the WAL does not hold: only its position is kept (the guard then
 * refuses to sign a proposal there again, and the replay goes on without it).
 */
function walPosition(path: string, info: ChainInfo, key: ValidatorKey): SignerStateFields | undefined {
  const { records } = readWal<OwnWalRecord>(path);
  const height = info.height + 1;
  if (records[0]?.t !== "height" || records[0].height !== height) return undefined;
  let last: Extract<OwnWalRecord, { t: "intent" }> | undefined;
  const signatures = new Map<string, string>();
  for (const r of records) {
    if (r.t === "signed") signatures.set(`${r.step}/${r.round}/${r.value}/${r.timeMs}`, r.signature);
    if (r.t !== "intent" || r.height !== height) continue;
    if (last === undefined || r.round > last.round || (r.round === last.round && r.step > last.step)) last = r;
  }
  if (last === undefined) return undefined;
  const position = { height, round: last.round, step: last.step };
  if (last.step === STEP_PROPOSE) return { ...position, payload: "", signature: "" };
  const bytes = voteSignBytes(info.chainId, {
    type: last.step === STEP_PREVOTE ? PREVOTE : PRECOMMIT,
    height,
    round: last.round,
    blockHash: last.value === null ? new Uint8Array(0) : (fromHex(last.value) as Uint8Array),
    timeMs: last.timeMs,
    validatorAddress: key.address,
  });
  const signature =
    signatures.get(`${last.step}/${last.round}/${last.value}/${last.timeMs}`) ?? toBase64(key.sign(bytes));
  return { ...position, payload: toHex(bytes), signature };
}

export interface SignerCheck {
  statePath: string;
  /** The consensus WAL: what it shows signed (or about to be) at the height in progress is taken into account. */
  walPath?: string;
  key: ValidatorKey;
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
  if (signerStateExists(c.statePath)) return; // the file, or its shadow copy (node/signer-state-store.ts)
  const address = c.key.address;
  const own = await lastOwnPrecommit(c.db, address, c.info.height);
  const isValidator = c.validators.some((v) => equalBytes(v.address, address));
  // A database with no block cannot tell what this key is at the tip (a moved key, a home wiped to sync
  // again): refused for every key. A home made by opl init has its "nothing signed yet" state.
  if (c.info.height > 0 && !isValidator && own === undefined) return;
  if (!c.recover) {
    throw new SignerStateMissingError(
      `the signer state ${c.statePath} is missing, but ${missingWhy(c.info.height, own, isValidator)}: starting without ` +
      "it could sign a vote conflicting with one signed before the file was lost (a double-sign, which is " +
      "slashed). Restore priv_validator_state.json and cs.wal from where they were lost if you can. Otherwise " +
      `start once with ${RECOVER_SIGNER_FLAG}: it rebuilds the signer state from cs.wal (what it was about to ` +
      "sign at the height in progress) or else this validator's latest precommit in the block store" +
      `${own !== undefined ? ` (height ${own.height})` : ""}; anything it signed after that and not in the ` +
      "WAL is not known, and signing it again differently is a double-sign.",
    );
  }
  const state =
    (c.walPath !== undefined ? walPosition(c.walPath, c.info, c.key) : undefined) ??
    (own !== undefined
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
              validatorAddress: address,
            }),
          ),
          signature: toBase64(own.signature),
        }
      : // No precommit of ours in the latest blocks: at least never sign at or below the stored chain.
        { height: c.info.height, round: 0, step: STEP_PRECOMMIT, payload: "", signature: "" });
  writeSecretFile(c.statePath, signerStateText(state));
  c.log.warn(
    { height: state.height, round: state.round, step: state.step },
    "signer state was missing: rebuilt from the consensus WAL and this validator's own precommits in the block store",
  );
}
