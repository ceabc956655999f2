import { sha256 } from "../../crypto/hash.ts";
import { type Block, commitHash, evidenceRoot, txsRoot } from "../../proto/block.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";

/**
 * A block at the size limit: DEFAULT_PARAMS.maxBlockBytes of transactions, each of DEFAULT_PARAMS.maxTxBytes
 * (opaque bytes: what the codecs and the WAL carry, not executable), with a header whose body roots match.
 * `seed` varies the contents, `fields` the rest of the header.
 */
export function maxSizeBlock(seed: number, fields: Partial<Block["header"]> = {}): Block {
  return blockOf(maxSizeTxs(seed), fields);
}

const txsBySeed = new Map<number, { txs: Uint8Array[]; root: Uint8Array }>();

/** maxBlockBytes of transactions (made once per seed: tests build many blocks of them). */
function maxSizeTxs(seed: number): { txs: Uint8Array[]; root: Uint8Array } {
  let made = txsBySeed.get(seed);
  if (made === undefined) {
    const { maxBlockBytes, maxTxBytes } = DEFAULT_PARAMS;
    const txs = Array.from({ length: Math.floor(maxBlockBytes / maxTxBytes) }, (_, i) => {
      const tx = new Uint8Array(maxTxBytes);
      tx.fill(seed & 0xff);
      new DataView(tx.buffer).setUint32(0, i);
      return tx;
    });
    made = { txs, root: txsRoot(txs.map((t) => sha256(t))) };
    txsBySeed.set(seed, made);
  }
  return made;
}

/** A small block (one short transaction) with matching body roots. */
export function smallBlock(fields: Partial<Block["header"]> = {}): Block {
  const tx = Uint8Array.of(1, 2, 3);
  return blockOf({ txs: [tx], root: txsRoot([sha256(tx)]) }, fields);
}

function blockOf(body: { txs: Uint8Array[]; root: Uint8Array }, fields: Partial<Block["header"]>): Block {
  const zero = new Uint8Array(32);
  return {
    header: {
      chainId: "opl-max-1",
      height: 1,
      timeMs: 1_700_000_000_000,
      lastBlockHash: new Uint8Array(0),
      lastCommitHash: commitHash(undefined),
      txsRoot: body.root,
      stateRoot: zero,
      resultsRoot: zero,
      validatorsHash: zero,
      nextValidatorsHash: zero,
      proposerAddress: new Uint8Array(20),
      evidenceRoot: evidenceRoot([]),
      ...fields,
    },
    txs: body.txs,
    lastCommit: undefined,
    evidence: [],
  };
}
