import { toHex } from "../../crypto/bytes.ts";
import { method } from "../method.ts";
import { z } from "zod";
import { addressOut, bytesHex, countOut, heightOut, isoTimeOut, noParams } from "../schemas.ts";

const VOTE_TYPES: Record<number, string> = { 1: "prevote", 2: "precommit" };

const voteOut = z.strictObject({ blockHash: bytesHex, time: isoTimeOut, signature: bytesHex });

const evidenceOut = z.strictObject({
  validator: addressOut,
  height: heightOut,
  round: countOut,
  type: z.enum(["prevote", "precommit"]),
  source: z.enum(["seen", "received"]).describe("seen by this node itself, or received from a peer"),
  voteA: voteOut,
  voteB: voteOut,
});

export const consensusMethods = [
  method({
    name: "consensus_getState",
    description: "Where consensus stands: the height and round being decided, and the best height peers report.",
    params: noParams,
    result: z.strictObject({ height: heightOut, round: countOut, bestPeerHeight: heightOut, catchingUp: z.boolean() }),
    handler: (_p, ctx) => {
      const c = ctx.consensus();
      return { height: c.height, round: c.round, bestPeerHeight: c.bestPeerHeight, catchingUp: ctx.catchingUp() };
    },
  }),
  method({
    name: "consensus_getEvidence",
    description:
      "Equivocations this node saw or received (the last 100): a validator that signed two different votes " +
      "for one height, round and step, with both signatures.",
    params: noParams,
    result: z.strictObject({ count: countOut, evidence: z.array(evidenceOut) }),
    handler: (_p, ctx) => {
      const evidence = ctx.consensus().evidence.map((e) => {
        const a = e.evidence.voteA;
        const b = e.evidence.voteB;
        const vote = (v: typeof a) => ({
          blockHash: toHex(v.vote.blockHash),
          time: new Date(v.vote.timeMs).toISOString(),
          signature: toHex(v.signature),
        });
        return {
          validator: e.validator,
          height: a.vote.height,
          round: a.vote.round,
          type: VOTE_TYPES[a.vote.type],
          source: e.source,
          voteA: vote(a),
          voteB: vote(b),
        };
      });
      return { count: evidence.length, evidence };
    },
  }),
];
