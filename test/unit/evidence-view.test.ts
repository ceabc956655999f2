import { expect, it } from "vitest";
import { z } from "zod";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { canonicalEvidence } from "../../node/evidence-pool.ts";
import { PREVOTE, type SignedVote } from "../../proto/consensus.ts";
import { chainMethods } from "../../rpc/methods/chain.ts";
import { evidenceView } from "../../rpc/views.ts";

/**
 * A validator that prevoted nil and also a block at one step equivocated; a block that commits that evidence
 * must still be readable: chain_getBlock's result schema (the one the server checks its answers against)
 * takes the nil vote as null. As a hash ("", not 64 hex digits) it failed the check, and the whole block
 * could not be read (seen in the twins e2e test, whose double-signer sometimes prevotes nil on one side).
 */
const getBlock = chainMethods.find((m) => m.name === "chain_getBlock");
const evidenceSchema = (getBlock?.result as z.ZodObject<{ evidence: z.ZodArray<z.ZodType> }>).shape.evidence;

const validatorAddress = new Uint8Array(20).fill(7);
const prevote = (blockHash: Uint8Array): SignedVote => ({
  vote: { type: PREVOTE, height: 9, round: 1, blockHash, timeMs: 1_700_000_000_000, validatorAddress },
  signature: new Uint8Array(64),
});

it("an equivocation between a nil vote and a block shows the nil vote as null, and passes the result schema", () => {
  const block = new Uint8Array(32).fill(0xab);
  const evidence = canonicalEvidence({ voteA: prevote(block), voteB: prevote(new Uint8Array(0)) });
  const view = evidenceView(evidence);
  expect(view).toEqual({
    validator: encodeAddress(validatorAddress),
    height: 9,
    round: 1,
    type: "prevote",
    blockHashes: [null, toHex(block)], // canonical order: the empty hash first
  });
  expect(evidenceSchema.safeParse([view]).success).toBe(true);
});

it("an equivocation between two blocks shows both hashes", () => {
  const [a, b] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  const view = evidenceView(canonicalEvidence({ voteA: prevote(b), voteB: prevote(a) }));
  expect(view.blockHashes).toEqual([toHex(a), toHex(b)]);
  expect(evidenceSchema.safeParse([view]).success).toBe(true);
});
