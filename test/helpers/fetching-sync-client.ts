import pino from "pino";
import { BlockSync, type BlockSyncOptions, type SyncTarget } from "../../node/block-sync.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { PeerScores } from "../../p2p/peer-scores.ts";

/**
 * A block sync client with no store (it only fetches: its "chain" is the list of heights applied), started on
 * `client` and pointed at `server`, which claims `height`. The offences it charged are recorded. The caller
 * stops `sync` (and the hosts).
 */
export async function fetchingSyncClient(opts: {
  client: P2pHost;
  server: P2pHost;
  height: number;
  options?: Partial<BlockSyncOptions>;
  /** Replace the chain's hooks (a failing fsync, counting endSync). */
  chain?: Partial<Pick<SyncTarget, "beginSync" | "endSync" | "durableWrites" | "lacksDecidedBlock">>;
  onFatal?: (err: unknown) => void;
}): Promise<{ applied: number[]; offences: string[]; sync: BlockSync }> {
  const applied: number[] = [];
  const offences: string[] = [];
  const log = pino({ level: "silent" });
  const scores = new PeerScores({ log, disconnect: () => {} });
  const penalize = scores.penalize.bind(scores);
  scores.penalize = (peer, points, reason) => {
    offences.push(reason);
    return penalize(peer, points, reason);
  };
  const sync = new BlockSync({
    host: opts.client,
    db: undefined as never, // only serving reads the block store
    scores,
    log,
    onFatal: opts.onFatal ?? ((err) => {
      throw err;
    }),
    options: { graceMs: 0, checkMs: 50, ...opts.options },
    chain: {
      height: () => applied.length,
      beginSync: opts.chain?.beginSync ?? (() => {}),
      applySynced: async (block) => {
        applied.push(block.header.height);
        return true;
      },
      endSync: opts.chain?.endSync ?? (() => {}),
      durableWrites: opts.chain?.durableWrites,
      lacksDecidedBlock: opts.chain?.lacksDecidedBlock,
    },
  });
  await sync.start();
  await opts.client.dial(opts.server.getMultiaddrs()[0]);
  sync.onStatus(opts.server.peerId.toString(), opts.height);
  return { applied, offences, sync };
}
