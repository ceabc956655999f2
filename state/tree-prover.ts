/**
 * State proofs as the RPC asks for them: the interface (the node's implementation is state/tree/proof.ts's
 * StateProver over the versioned tree on disk, every retained height) and the proof's shape, the shared
 * contract of issue 14 that the light client's verifier reads too (state/tree/proof.ts defines it).
 */
import type { ProvedValue } from "./tree/proof.ts";

export type { ProvedValue, StateProof } from "./tree/proof.ts";

export interface StateProver {
  /**
   * The value of `stateKey` in the state after block `height`, with its proof against that state's root
   * (header(height).stateRoot). Throws PrunedHeightError (state/tree/errors.ts) below the retained window.
   */
  proveAt(height: number, stateKey: Uint8Array): ProvedValue | Promise<ProvedValue>;
}
