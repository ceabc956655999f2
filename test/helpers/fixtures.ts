import type { Header } from "../../proto/block.ts";

/** 32 bytes of `n`: a stand-in hash. */
export const h32 = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** A header with every field set to a recognisable value, for codec tests. */
export function sampleHeader(height: number, timeMs: number): Header {
  return {
    chainId: "opl-test-1",
    height,
    timeMs,
    lastBlockHash: h32(1),
    lastCommitHash: h32(2),
    txsRoot: h32(3),
    stateRoot: h32(4),
    resultsRoot: h32(5),
    validatorsHash: h32(6),
    nextValidatorsHash: h32(6),
    proposerAddress: new Uint8Array(20).fill(7),
    evidenceRoot: h32(8),
  };
}
