// The JSON-RPC answers the explorer reads, as README's method tables give them (only the fields it shows).
// Amounts are decimal strings of base units, hashes lowercase hex, addresses opl1..., times ISO 8601 UTC.

export interface Event {
  type: string;
  attributes: Record<string, string>;
}

export interface TxResult {
  code: number;
  reason?: string;
  log: string;
  events: Event[];
}

export interface TxView {
  hash: string;
  height: number;
  index: number;
  tx: { chainId: string; sender: string; nonce: number; fee: string; msg: Record<string, unknown> & { type: string } };
  result: TxResult;
}

export interface Header {
  chainId: string;
  height: number;
  time: string;
  lastBlockHash: string;
  lastCommitHash: string;
  txsRoot: string;
  stateRoot: string;
  resultsRoot: string;
  validatorsHash: string;
  nextValidatorsHash: string;
  proposer: string;
  evidenceRoot: string;
}

export interface Block {
  hash: string;
  header: Header;
  /** The block's tx count; `txs` holds the page asked for (txOffset, txLimit). */
  numTxs: number;
  txs: TxView[];
  events: Event[];
}

export interface BlockNotice {
  height: number;
  hash: string;
  time: string;
  proposer: string;
  numTxs: number;
}

export interface NodeStatus {
  chainId: string;
  moniker: string;
  latestHeight: number;
  latestBlockHash: string;
  latestBlockTime: string;
  catchingUp: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  height: number;
}

export interface Validator {
  operator: string;
  consensusAddress: string;
  moniker: string;
  tokens: string;
  power: number;
  jailed: boolean;
  tombstoned: boolean;
  active: boolean;
}

export interface Account {
  address: string;
  balance: string;
  nonce: number;
  height: number;
}

export interface Stake {
  stakes: { validator: string; moniker: string; shares: string; value: string }[];
  totalStaked: string;
  unbonding: { validator: string; amount: string; creationHeight: number; completionHeight: number }[];
  totalUnbonding: string;
}

export interface Rewards {
  accrued: string;
  claimed: string;
  breakdown: { source: "model" | "contribution"; id: number; amount: string }[];
}

export interface Datanet {
  id: number;
  owner: string;
  name: string;
  description: string;
  license: string;
  contributionStake: string;
  reviewFee: string;
  createdHeight: number;
  contributionCount: number;
  acceptedCount: number;
  versionCount: number;
}

export interface Contribution {
  id: number;
  datanetId: number;
  contributor: string;
  contentHash: string;
  uri: string;
  sizeBytes: number;
  status: string;
  acceptIndex: number;
  staked: string;
  createdHeight: number;
  reviewedHeight: number;
}

export interface DatanetVersion {
  datanetId: number;
  version: number;
  root: string;
  count: number;
  height: number;
}

export interface MembershipProof {
  contributionId: number;
  contentHash: string;
  index: number;
  count: number;
  root: string;
  proof: string[];
}

export interface VersionRef {
  datanetId: number;
  version: number;
}

export interface Model {
  id: number;
  owner: string;
  name: string;
  kind: "model" | "adapter";
  parentId: number;
  baseModel: string;
  trainedOn: VersionRef[];
  price: string;
  retired: boolean;
  createdHeight: number;
  lineage?: VersionRef[];
  ancestors?: number[];
}

export interface Weight {
  contributionId: number;
  datanetId: number;
  version: number;
  ppm: number;
}

export interface Inference {
  id: number;
  modelId: number;
  payer: string;
  price: string;
  status: string;
  createdHeight: number;
  expiresHeight: number;
  operator: string;
  weights: Weight[];
  recordedHeight: number;
}

export interface Payouts {
  inferenceId: number;
  modelId: number;
  price: string;
  treasury: string;
  owner: { address: string; amount: string };
  /** `weight`: the index in `weights` of the weight that paid it. */
  contributions: { weight: number; contributionId: number; contributor: string; amount: string }[];
  weights: Weight[];
}

export interface Earnings {
  total: string;
}

export interface SearchItem {
  kind: "tx" | "block";
  height: number;
  hash?: string;
  tx?: TxView["tx"];
  result?: TxResult;
}
