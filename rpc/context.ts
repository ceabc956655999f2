import type { ChainApp } from "../node/chain-app.ts";
import type { EvidenceRecord } from "../node/consensus-driver.ts";
import type { Mempool } from "../node/mempool.ts";
import type { TxFates } from "../node/tx-fates.ts";
import type { ChainParams } from "../state/params.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import type { LatestState } from "../state/store/latest-state.ts";
import type { StateProver } from "../state/tree-prover.ts";
import type { RequestScope } from "./request-scope.ts";

/** What RPC handlers may use: the node's parts, read-mostly, and the scope of the request being served. */
export interface RpcContext {
  /** This request's budgets and hang-up signal: state queries check and charge it as they read. */
  request: RequestScope;
  chainId: string;
  /** The genesis params; the params in force for the next block are app.params (governance changes them). */
  params: ChainParams;
  nodeId: string;
  moniker: string;
  app: ChainApp;
  db: ChainDb;
  state: LatestState;
  /** State proofs with their root, by height (state_getProof, `prove: true`). */
  prover: StateProver;
  mempool: Mempool;
  /** What became of recent txs that left the mempool unincluded (tx_getStatus). */
  txFates: TxFates;
  catchingUp(): boolean;
  /** The libp2p addresses this node listens on, each ending in /p2p/<nodeId>. */
  p2pAddresses(): string[];
  /** Connected peers: their node id, the address of the connection, and who dialled. */
  peers(): { nodeId: string; address: string; direction: string }[];
  /** The consensus engine's position, the best height peers report, and the equivocations seen. */
  consensus(): { height: number; round: number; bestPeerHeight: number; evidence: readonly EvidenceRecord[] };
}
