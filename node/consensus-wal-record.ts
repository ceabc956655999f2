import type { Input } from "../consensus/engine/types.ts";

/** A peer vote's signature as the WAL keeps it, so a commit can still be built after a crash. */
export interface VoteSig {
  timeMs: number;
  signature: string;
}

/** What the consensus driver writes to its WAL (node/wal.ts), one file per height. */
export type WalRecord =
  | { t: "height"; height: number }
  /**
   * A peer's vote carries its signature, so a commit can still be built from the WAL after a crash. A
   * proposal's or our own value's block is `bytes`, its canonical encoding, stored raw (node/wal.ts), the
   * first time that block is recorded in the file; later records of it (a re-proposal in a later round) hold
   * only its hash (the input's value id), and the replay takes the block from the earlier record.
   */
  | { t: "input"; input: Exclude<Input, { type: "startHeight" }>; bytes?: Uint8Array; sig?: VoteSig }
  /** About to sign this: a crash between this and "signed" re-signs the very same bytes. */
  | { t: "intent"; step: number; height: number; round: number; value: string | null; timeMs: number }
  | { t: "signed"; step: number; height: number; round: number; value: string | null; timeMs: number; signature: string };
