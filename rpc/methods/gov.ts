import { z } from "zod";
import { decodeAddress, encodeAddress } from "../../crypto/address.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import { decodeAmount } from "../../proto/codec.ts";
import { govVoteCodec, PROPOSAL_STATUSES, type Proposal, proposalCodec } from "../../proto/gov-records.ts";
import { getProposal } from "../../state/modules/gov/queries.ts";
import { govScans } from "../../state/modules/gov/scans.ts";
import { computeTally } from "../../state/modules/gov/tally.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { idSchema, pageParams } from "../module-schemas.ts";
import { addressOut, addressSchema, amountOut, heightOut, heightSchema, idOut, pageOf } from "../schemas.ts";
import { proposalOut, proposalStatusOut, tallyOut } from "../module-result-schemas.ts";
import { listAt, readAt } from "../state-query.ts";
import { jsonValue } from "../views.ts";

const ID_BYTES = 8;
const ADDRESS_BYTES = 20;

function proposalView(p: Proposal): Record<string, unknown> {
  return jsonValue({ ...p, kind: p.content.kind }) as Record<string, unknown>;
}

const proposalId = { proposalId: idSchema("proposalId") };

export const govMethods = [
  method({
    name: "gov_getProposal",
    description:
      "One governance proposal: its content (kind: params, spend, spend_datanet, upgrade or text), status " +
      "(deposit_period, voting_period, passed, rejected, vetoed, no_quorum, failed, dropped), deposit, the " +
      "heights its periods end at, and its final tally once voting ended.",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional() }),
    result: proposalOut.extend({ height: heightOut }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getProposal(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `proposal ${p.id} does not exist`);
      return { ...proposalView(value), height };
    },
  }),
  method({
    name: "gov_listProposals",
    description: "Proposals by id, a page at a time. Filters: status, proposer.",
    params: z.strictObject({
      status: z.enum(PROPOSAL_STATUSES, { error: `status must be one of ${PROPOSAL_STATUSES.join(", ")}` }).optional(),
      proposer: addressSchema.optional(),
      ...pageParams,
    }),
    result: pageOf(proposalOut),
    handler: (p, ctx) => {
      const proposer = p.proposer === undefined ? undefined : decodeAddress(p.proposer);
      return listAt(ctx, {
        prefix: govScans.proposals(),
        idLength: ID_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (_id, value) => {
          const proposal = proposalCodec.decode(value);
          if (p.status !== undefined && proposal.status !== p.status) return undefined;
          if (proposer !== undefined && !equalBytes(proposal.proposer, proposer)) return undefined;
          return proposalView(proposal);
        },
      });
    },
  }),
  method({
    name: "gov_getVotes",
    description:
      "A proposal's votes, a page at a time, by voter: the option, and the validators a staker's own stake " +
      "votes with (empty: a validator's operator voting for its bond).",
    params: z.strictObject({ ...proposalId, ...pageParams }),
    result: pageOf(z.strictObject({
      voter: addressOut,
      option: z.enum(["yes", "abstain", "no", "no_with_veto"]),
      validators: z.array(addressOut).describe("the validators a staker's own stake votes with"),
    })),
    handler: (p, ctx) =>
      listAt(ctx, {
        prefix: govScans.votesOf(p.proposalId),
        idLength: ADDRESS_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (id, value) => {
          const vote = govVoteCodec.decode(value);
          return { voter: encodeAddress(id), option: vote.option, validators: vote.validators.map(encodeAddress) };
        },
      }),
  }),
  method({
    name: "gov_getDeposits",
    description: "A proposal's deposits, a page at a time, by depositor (amounts in base units).",
    params: z.strictObject({ ...proposalId, ...pageParams }),
    result: pageOf(z.strictObject({ depositor: addressOut, amount: amountOut })),
    handler: (p, ctx) =>
      listAt(ctx, {
        prefix: govScans.depositsOf(p.proposalId),
        idLength: ADDRESS_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (id, value) => ({
          depositor: encodeAddress(id),
          amount: decodeAmount(value, "deposit").toString(),
        }),
      }),
  }),
  method({
    name: "gov_getTally",
    description:
      "A proposal's tally: live (the stake behind each option now) while it is voted on, final after. " +
      "Stake in base units.",
    params: z.strictObject({ ...proposalId, height: heightSchema.optional() }),
    result: z.strictObject({
      live: z.boolean().describe("true while voting: the stake behind each option now"),
      tally: tallyOut,
      status: proposalStatusOut,
      proposalId: idOut,
      height: heightOut,
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => {
        const proposal = getProposal(view, p.proposalId);
        if (proposal === undefined) return undefined;
        const live = proposal.status === "voting_period";
        return { live, tally: live ? computeTally(view, proposal.id) : proposal.tally, status: proposal.status };
      });
      if (value === undefined) throw appError("NOT_FOUND", `proposal ${p.proposalId} does not exist`);
      return { ...(jsonValue(value) as Record<string, unknown>), proposalId: p.proposalId, height };
    },
  }),
];
