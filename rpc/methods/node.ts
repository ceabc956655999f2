import { toHex } from "../../crypto/bytes.ts";
import { method } from "../method.ts";
import { noParams } from "../schemas.ts";
import { isoTime } from "../views.ts";

export const nodeMethods = [
  method({
    name: "node_peers",
    description: "The peers this node is connected to over libp2p.",
    params: noParams,
    handler: (_p, ctx) => {
      const peers = ctx.peers();
      return { count: peers.length, peers };
    },
  }),
  method({
    name: "node_status",
    description:
      "Where this node stands: chain, identity, latest block, whether it is catching up, and the pending software " +
      "upgrade (null without one; { name, height, proposalId, status: \"scheduled\", action: apply | apply-test-marker | skip | halt } " +
      "before its height, { ..., status: \"halted\", message } once this node stopped for it).",
    params: noParams,
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
