import { toHex } from "../../crypto/bytes.ts";
import { method } from "../method.ts";
import { z } from "zod";
import { peersOnce } from "../peer-list.ts";
import { bytesHex, countOut, heightOut, idOut, isoTimeOut, noParams } from "../schemas.ts";
import { isoTime } from "../views.ts";

export const nodeMethods = [
  method({
    name: "node_getPeers",
    description: "The peers this node is connected to over libp2p, each once, with its connections.",
    params: noParams,
    result: z.strictObject({
      count: countOut,
      peers: z.array(z.strictObject({
        nodeId: z.string(),
        address: z.string().describe("the first connection's remote multiaddr"),
        direction: z.enum(["inbound", "outbound"]),
        connections: z.array(z.strictObject({
          address: z.string().describe("the connection's remote multiaddr"),
          direction: z.enum(["inbound", "outbound"]),
        })),
      })),
    }),
    handler: (_p, ctx) => {
      const peers = peersOnce(ctx.peers());
      return { count: peers.length, peers };
    },
  }),
  method({
    name: "node_getStatus",
    description:
      "Where this node stands: chain, identity, latest block, whether it is catching up, and the pending software " +
      "upgrade (null without one; { name, height, proposalId, status: \"scheduled\", action: apply | apply-test-marker | skip | halt } " +
      "before its height, { ..., status: \"halted\", message } once this node stopped for it).",
    params: noParams,
    result: z.strictObject({
      chainId: z.string(),
      nodeId: z.string(),
      moniker: z.string(),
      latestHeight: heightOut,
      latestBlockHash: bytesHex,
      latestBlockTime: isoTimeOut,
      catchingUp: z.boolean(),
      p2pAddresses: z.array(z.string()),
      mempoolSize: countOut,
      upgrade: z.union([
        z.null(),
        z.strictObject({
          name: z.string(),
          height: heightOut,
          proposalId: idOut,
          status: z.literal("scheduled"),
          action: z.enum(["apply", "apply-test-marker", "skip", "halt"]),
        }),
        z.strictObject({
          name: z.string(),
          height: heightOut,
          proposalId: idOut,
          status: z.literal("halted"),
          message: z.string(),
        }),
      ]),
    }),
    handler: (_p, ctx) => {
      const info = ctx.app.info();
      return {
        chainId: ctx.chainId,
        nodeId: ctx.nodeId,
        moniker: ctx.moniker,
        latestHeight: info.height,
        latestBlockHash: toHex(info.lastBlockHash),
        latestBlockTime: isoTime(info.lastBlockTimeMs),
        catchingUp: ctx.catchingUp(),
        p2pAddresses: ctx.p2pAddresses(),
        mempoolSize: ctx.mempool.size,
        upgrade: ctx.app.upgradeStatus(),
      };
    },
  }),
];
