import { z } from "zod";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import { PrunedHeightError } from "../state/tree/errors.ts";
import type { ProvedValue, StateProof } from "../state/tree-prover.ts";
import { committedHeader } from "./committed-header.ts";
import type { RpcContext } from "./context.ts";
import { appError } from "./errors.ts";
import { type ProvableKey, resolveProvableKey } from "./proof-keys.ts";
import { commitView, headerFieldsView } from "./views.ts";

/**
 * The state_getProof answer: a value, its proof against the state root of a height, and the header and
 * commit that carry that root. A client that trusts the validator set of some earlier height checks the
 * commit (light_getBlock gives the sets), the header's hash, then the proof against header.stateRoot: it
 * need not trust this node. The header at height H commits to the state AFTER block H.
 */

/** `prove: true` on a get method: its answer gains `proof`, this answer for the same key and height. */
export const proveParam = {
  prove: z.boolean({ error: "prove must be true or false" }).optional(),
};

export function proofView(proof: StateProof) {
  return {
    siblings: proof.siblings.map(toHex),
    leaf: proof.leaf === undefined ? null : { path: toHex(proof.leaf.path), valueHash: toHex(proof.leaf.valueHash) },
  };
}

/** The height a proof is asked at, or why none can be given there. */
function provableHeight(ctx: RpcContext, height: number | undefined): number {
  const latest = ctx.app.info().height;
  const h = height ?? latest;
  if (h > latest) {
    throw appError("HEIGHT_NOT_AVAILABLE", `height ${h} is in the future; the latest height is ${latest}`, { latest });
  }
  if (h < 1) {
    throw appError(
      "PROOF_NOT_AVAILABLE",
      latest === 0
        ? "no block is committed yet: the genesis state (height 0) is carried by no header"
        : "height 0 is the genesis state, which no header carries: proofs start at height 1",
      { latest },
    );
  }
  return h;
}

/** The prover's refusal of a height, as an answer to the client. */
function proofRefusal(err: unknown): unknown {
  if (err instanceof PrunedHeightError) {
    return appError("PROOF_NOT_AVAILABLE", err.message, { oldest: err.oldestAvailable });
  }
  return err;
}

export async function stateProofAnswer(ctx: RpcContext, height: number | undefined, key: ProvableKey) {
  const resolved = resolveProvableKey(key);
  const h = provableHeight(ctx, height);
  let proved: ProvedValue;
  try {
    // Called before anything is awaited: at the latest height the in-memory tree and the height move together.
    proved = await ctx.prover.proveAt(h, resolved.stateKey);
  } catch (err) {
    throw proofRefusal(err);
  }
  const { header, hash, commit } = await committedHeader(ctx, h);
  if (!equalBytes(proved.root, header.stateRoot)) {
    throw new Error(`the state root proved at height ${h} (${toHex(proved.root)}) is not its header's`);
  }
  return {
    height: h,
    key: toHex(resolved.stateKey),
    value: proved.value === undefined ? null : await resolved.decode(proved.value, ctx, h),
    valueBytes: proved.value === undefined ? null : toHex(proved.value),
    proof: proofView(proved.proof),
    stateRoot: toHex(proved.root),
    header: headerFieldsView(header),
    headerHash: toHex(hash),
    commit: commitView(commit),
    committedBy:
      `the header at height ${h} commits to the state after block ${h}; the commit is signed by the validator ` +
      `set of height ${h}`,
  };
}

/** A get method's answer with `proof` added when asked (`prove: true`). */
export async function withProof<T extends object>(
  ctx: RpcContext,
  answer: T & { height: number },
  prove: boolean | undefined,
  key: ProvableKey,
): Promise<T & { height: number; proof?: Awaited<ReturnType<typeof stateProofAnswer>> }> {
  if (prove !== true) return answer;
  return { ...answer, proof: await stateProofAnswer(ctx, answer.height, key) };
}
