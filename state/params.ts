/** Chain parameters, fixed in genesis (governance will change them at a height later). */
export interface ChainParams {
  /** The least fee, in base units, a transaction must offer. */
  minFee: bigint;
  /** Largest signed transaction accepted, in bytes. */
  maxTxBytes: number;
  /** Most transactions in one block. */
  maxBlockTxs: number;
  /** Largest total of transaction bytes in one block. */
  maxBlockBytes: number;
}

export const DEFAULT_PARAMS: ChainParams = {
  minFee: 10n ** 12n, // 0.000001 OPEN
  maxTxBytes: 16 * 1024,
  maxBlockTxs: 20_000,
  maxBlockBytes: 8 * 1024 * 1024,
};
