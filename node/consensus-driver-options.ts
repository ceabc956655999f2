/** What a ConsensusDriver (node/consensus-driver.ts) is given: its application, network, files and settings. */
import type { Logger } from "pino";
import type { Application } from "../consensus/application.ts";
import type { TimeoutConfig } from "../consensus/engine/types.ts";
import type { PriorityCheckpoint } from "../consensus/proposer.ts";
import type { AssembledBlock } from "./compact-proposal.ts";
import type { CompactBlock } from "./consensus-checks.ts";
import type { ConsensusNetwork } from "./consensus-outbox.ts";
import type { Fsyncer } from "./durable-file.ts";
import type { GuardedSigner } from "./signer.ts";

/** The block of a checked compact proposal from `peer`, its txs found or fetched; undefined if they were not. */
export type AssembleProposal = (c: CompactBlock, peer: string | undefined) => Promise<AssembledBlock | undefined>;

export interface DriverOptions {
  app: Application;
  network?: ConsensusNetwork;
  /** How often our own messages of the current height are sent again (default 1000 ms). */
  rebroadcastMs?: number;
  signer: GuardedSigner;
  walPath: string;
  /** How the WAL's writes are made durable (default: fsync on libuv's thread pool). */
  fsyncer?: Fsyncer;
  timeouts: TimeoutConfig;
  /** Pause after a decision before the next height starts: the block interval (the pace when idle). */
  commitTimeoutMs: number;
  /**
   * Whether the pending transactions already fill a block (node/backlog.ts). Then the interval would only
   * delay work that is waiting: the next height starts as soon as every validator's precommit is in.
   */
  backlogged?: () => boolean;
  /** Proposer priorities this node saved earlier (local, derived from the chain): a restart walks from it. */
  priorityCheckpoint?: PriorityCheckpoint;
  /** Called every CHECKPOINT_INTERVAL heights of the walk, to save the priorities for the next start. */
  savePriorityCheckpoint?: (c: PriorityCheckpoint) => void;
  /**
   * Evidence older than this many blocks can no longer be committed: it is not kept or relayed. Read each
   * time: the params in force (governance may change them).
   */
  evidenceMaxAgeBlocks?: () => number;
  /** The chain's maxBlockTxs in force: a proposed block with more is refused before it is decoded (default: the cap). */
  maxBlockTxs?: () => number;
  /**
   * Why this node must not take part in `height` at all (a passed upgrade this binary cannot run), or
   * undefined. Asked before a height starts and before block sync commits a block: the error stops the
   * driver (onFatal gets it) before it proposes, votes, or writes the height's WAL.
   */
  haltBefore?: (height: number) => Error | undefined;
  logger: Logger;
  onFatal: (err: unknown) => void;
  now?: () => number;
}
