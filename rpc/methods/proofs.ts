import { z } from "zod";
import { equalBytes, toHex } from "../../crypto/bytes.ts";
import { validatorsHash } from "../../proto/block.ts";
import { committedHeader } from "../committed-header.ts";
import { method } from "../method.ts";
import { provableKeySchema } from "../proof-keys.ts";
import { hashHex, heightSchema } from "../schemas.ts";
import { commitOut, headerOut, stateProofOut, validatorSetOut } from "../result-schemas.ts";
import { stateProofAnswer } from "../state-proof-answer.ts";
import { commitView, headerFieldsView, validatorSetView } from "../views.ts";

export const proofMethods = [
  method({
    name: "state_getProof",
    description:
      "A state value with its inclusion or non-inclusion proof against the state root of a height (default the " +
      "latest), and the header and commit that carry that root: the header at height H commits to the state " +
      "after block H. key: one of { account }, { datanet }, { contribution }, { model }, { inference }, " +
      "{ rewards }, { stake: { delegator, validator } }, { validator }, { datanetVersion: { datanetId, version } }, " +
      "{ earnings: { kind, id } }, { params: true }, { raw: hex }.",
    params: z.strictObject({ height: heightSchema.optional(), key: provableKeySchema }),
    result: stateProofOut,
    handler: (p, ctx) => stateProofAnswer(ctx, p.height, p.key),
  }),
  method({
    name: "light_getBlock",
    description:
      "What a light client needs to verify the header of a height from an earlier trusted one: the header, its " +
      "hash, its commit, the validator set of that height (hashes to header.validatorsHash, signs the commit) " +
      "and of the next (hashes to header.nextValidatorsHash).",
    params: z.strictObject({ height: heightSchema.min(1, "height must be >= 1 (height 0 is genesis: no header)") }),
    result: z.strictObject({
      header: headerOut,
      headerHash: hashHex,
      commit: commitOut.nullable(),
      validators: validatorSetOut,
      nextValidators: validatorSetOut,
    }),
    handler: async (p, ctx) => {
      const { header, hash, commit } = await committedHeader(ctx, p.height);
      // The node keeps every set the chain has had (node/validator-sets.ts: stk/vset/ entries are never deleted),
      // so every committed height has both; a set that does not hash to its header's is damage, not an answer.
      const validators = ctx.app.validators(p.height);
      const nextValidators = ctx.app.validators(p.height + 1);
      if (
        !equalBytes(validatorsHash(validators), header.validatorsHash) ||
        !equalBytes(validatorsHash(nextValidators), header.nextValidatorsHash)
      ) {
        throw new Error(`the validator sets kept for height ${p.height} do not hash to its header's`);
      }
      return {
        header: headerFieldsView(header),
        headerHash: toHex(hash),
        commit: commitView(commit),
        validators: validatorSetView(validators),
        nextValidators: validatorSetView(nextValidators),
      };
    },
  }),
];
