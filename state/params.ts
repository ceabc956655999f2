/**
 * Chain parameters: genesis gives them, governance changes them (state/modules/gov/params-store.ts keeps the
 * current ones in state once a change executes; a change applies from the next block).
 */
export interface ChainParams {
  /** The least fee, in base units, a transaction must offer. */
  minFee: bigint;
  /** Largest signed transaction accepted, in bytes. */
  maxTxBytes: number;
  /** Most transactions in one block. */
  maxBlockTxs: number;
  /** Largest total of transaction bytes in one block. */
  maxBlockBytes: number;
  /**
   * Most work units one block's transactions cost together (state/work.ts: 100 units = one ed25519 verify).
   * The proposer stops taking transactions when it is used; a block over it is invalid.
   */
  maxBlockWork: number;
  staking: StakingParams;
  datanets: DatanetParams;
  models: ModelParams;
  attribution: AttributionParams;
  gov: GovParams;
}

export interface StakingParams {
  /** The least self-stake a validator is created with. */
  minSelfStake: bigint;
  /** The validator set is the top this many unjailed validators by bonded stake. */
  maxValidators: number;
  /**
   * Most validators with stake (jailed or not) at once; creating or re-listing more is refused. A validator
   * nobody is staked with leaves the list; its operator re-lists it with at least minSelfStake.
   */
  maxCandidates: number;
  /** Blocks between unstaking and the funds returning to the balance. */
  unbondingBlocks: number;
  /** Base units of bonded stake per unit of voting power. */
  powerReduction: bigint;
  /** Share of the bond (parts per million) slashed for equivocation. */
  slashDoubleSignPpm: number;
  /** Liveness window, in blocks, and the most blocks a validator may miss in one before it is jailed. */
  signedBlocksWindow: number;
  maxMissedBlocks: number;
  /** How long a validator jailed for downtime stays jailed, in blocks. */
  downtimeJailBlocks: number;
  /** Evidence older than this many blocks is refused. */
  maxEvidenceAgeBlocks: number;
}

export interface DatanetParams {
  maxNameBytes: number;
  maxDescriptionBytes: number;
  maxLicenseBytes: number;
  maxUriBytes: number;
  maxMetadataBytes: number;
  maxCurators: number;
  /** Most addresses on an allow list. */
  maxContributors: number;
}

export interface ModelParams {
  maxNameBytes: number;
  maxUriBytes: number;
  maxTrainedOn: number;
  maxOperators: number;
}

export interface AttributionParams {
  /** A paid inference not recorded within this many blocks is refunded. */
  inferenceExpiryBlocks: number;
  /** Shares of each fee, parts per million: to the treasury, to the model owner; the rest is the data share. */
  protocolSharePpm: number;
  ownerSharePpm: number;
  /** Most weights in one record. */
  maxWeights: number;
  /**
   * Most reward credits one record makes: its contribution weights plus every contribution of its
   * whole-version weights (each is a few state reads and writes).
   */
  maxVersionRecipients: number;
  /** Most reward credits all the records of one block make together (a block's work stays bounded). */
  maxBlockCredits: number;
  /** The least fee per reward credit a record pays (its fee must cover its credits). */
  feePerCredit: bigint;
}

export interface GovParams {
  /** The deposit a proposal needs (in total, from anyone) to go to a vote. */
  minDeposit: bigint;
  /** Blocks a proposal has, from its submission, to gather minDeposit; else it is dropped and refunded. */
  depositPeriodBlocks: number;
  /** Blocks a vote lasts, from the block its deposit reached minDeposit. */
  votingPeriodBlocks: number;
  /** Share of all bonded stake that must vote (parts per million) for a tally to count. */
  quorumPpm: number;
  /** Share of the yes + no + no-with-veto stake that yes must exceed to pass. */
  thresholdPpm: number;
  /** Share of the voting stake that no-with-veto must reach to veto (deposits go to the treasury). */
  vetoPpm: number;
  /** Most proposals in their deposit or voting period at once. */
  maxActiveProposals: number;
}

export const DEFAULT_PARAMS: ChainParams = {
  minFee: 10n ** 12n, // 0.000001 OPEN
  maxTxBytes: 16 * 1024,
  maxBlockTxs: 20_000,
  maxBlockBytes: 8 * 1024 * 1024,
  // Measured by test/bench/max-block-check.ts on this 2-core machine: a fresh peer (none of the txs seen)
  // checks a block at this limit (~2,750 transfers, or ~680 maximal datanets) in 0.13-0.18 of the 3 s propose
  // timeout with one verify at 123 us, 0.16-0.29 with the machine loaded (one verify 213 us): under a third
  // either way, and room for ~2,600 transfers/s at 1 s blocks (README, "Block limits and back-pressure").
  maxBlockWork: 600_000,
  staking: {
    minSelfStake: 10n ** 18n, // 1 OPEN
    maxValidators: 100,
    maxCandidates: 1000,
    unbondingBlocks: 1000,
    powerReduction: 10n ** 15n, // 0.001 OPEN per unit of power
    slashDoubleSignPpm: 50_000, // 5%
    // As CometBFT/Cosmos defaults: jailed for missing 95% of a 10,000-block window (a node down for hours),
    // not for a restart or a slow disk.
    signedBlocksWindow: 10_000,
    maxMissedBlocks: 9_500,
    downtimeJailBlocks: 600,
    // Below unbondingBlocks: stake that leaves after an equivocation is still unbonding when the evidence
    // lands, so it is slashed too (genesis refuses params where it is not).
    maxEvidenceAgeBlocks: 500,
  },
  datanets: {
    maxNameBytes: 128,
    maxDescriptionBytes: 4096,
    maxLicenseBytes: 256,
    maxUriBytes: 1024,
    maxMetadataBytes: 4096,
    maxCurators: 32,
    maxContributors: 256,
  },
  models: { maxNameBytes: 128, maxUriBytes: 1024, maxTrainedOn: 32, maxOperators: 32 },
  attribution: {
    inferenceExpiryBlocks: 100,
    protocolSharePpm: 100_000, // 10%
    ownerSharePpm: 300_000, // 30%
    maxWeights: 64,
    maxVersionRecipients: 100,
    // ~400 us a credit at worst (a cold contribution read, new reward keys written: `npx node
    // test/bench/record-credit-work.ts --runs 2`, 387-398 us with maximal contributions, 2026-12-07): at most
    // ~0.4 s of a block's execution. It was 20,000, set for ~20 us a credit: ~8 s of every peer's check.
    maxBlockCredits: 1_000,
    feePerCredit: 10n ** 12n, // the minimum fee per credit: 0.001 OPEN (the CLI's default fee) covers 1,000
  },
  // As Cosmos SDK x/gov: a third of the stake must vote, more than half of yes+no+veto pass, a third vetoes.
  gov: {
    minDeposit: 100n * 10n ** 18n, // 100 OPEN
    depositPeriodBlocks: 20_000, // about 5.5 hours at 1 s blocks
    votingPeriodBlocks: 20_000,
    quorumPpm: 334_000,
    thresholdPpm: 500_000,
    vetoPpm: 334_000,
    maxActiveProposals: 10,
  },
};

export const PPM = 1_000_000;
