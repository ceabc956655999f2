import { z } from "zod";
import { decodeAddress, encodeAddress } from "../../crypto/address.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import { decodeAmount } from "../../proto/codec.ts";
import { type GovVote, govVoteCodec, PROPOSAL_STATUSES, type Proposal, proposalCodec } from "../../proto/gov-records.ts";
import { getProposal, getVote } from "../../state/modules/gov/queries.ts";
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
      "Votes, a page at a time: a proposal's by voter ({proposalId}), or a voter's by proposal ({voter}); " +
      "exactly one of them. Each: the proposal, the voter, the option, and the validators a staker's own " +
      "stake votes with (empty: a validator's operator voting for its bond).",
    params: z
      .strictObject({ proposalId: idSchema("proposalId").optional(), voter: addressSchema.optional(), ...pageParams })
      .refine((p) => (p.proposalId === undefined) !== (p.voter === undefined), {
        error: "give exactly one of proposalId or voter",
      }),
    result: pageOf(z.strictObject({
      proposalId: idOut,
      voter: addressOut,
      option: z.enum(["yes", "abstain", "no", "no_with_veto"]),
      validators: z.array(addressOut).describe("the validators a staker's own stake votes with"),
    })),
    handler: (p, ctx) => {
      const page = { height: p.height, cursor: p.cursor, limit: p.limit };
      const show = (proposalId: number, voter: Uint8Array, vote: GovVote) => {
        const validators = vote.validators.map(encodeAddress);
        return { proposalId, voter: encodeAddress(voter), option: vote.option, validators };
      };
      if (p.proposalId !== undefined) {
        const proposalId = p.proposalId;
        return listAt(ctx, {
          prefix: govScans.votesOf(proposalId),
          idLength: ADDRESS_BYTES,
          ...page,
          select: async (id, value) => show(proposalId, id, govVoteCodec.decode(value)),
        });
      }
      // No index by voter: the scan walks proposals by id (bounded like every list) and reads the voter's
      // vote on each, so a page costs at most the scan's visits and one point read each.
      const voter = decodeAddress(p.voter as string);
      return listAt(ctx, {
        prefix: govScans.proposals(),
        idLength: ID_BYTES,
        ...page,
        select: async (id, _value, height) => {
          const proposalId = Number(new DataView(id.buffer, id.byteOffset, ID_BYTES).getBigUint64(0));
          const { value: vote } = await readAt(ctx, height, (view) => getVote(view, proposalId, voter));
          return vote === undefined ? undefined : show(proposalId, voter, vote);
        },
      });
    },
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
