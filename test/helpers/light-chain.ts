import { createHash } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { privateKeyObject, publicKeyOf, signFast } from "../../crypto/ed25519.ts";
import { blockHash, type Commit, commitHash, type Header, type Validator, validatorsHash } from "../../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../../proto/consensus.ts";

/**
 * A chain of signed headers for the light client's tests, made with the node's own code: headers hashed
 * by proto/block.ts, precommits signed over proto/consensus.ts's vote sign bytes with the node's ed25519,
 * validator sets hashed as the node hashes them. No consensus runs: each height's set and signers are
 * chosen by the test, so sets can change by any amount between heights.
 */

export interface TestValidator {
  secret: Uint8Array;
  key: KeyObject;
  pubkey: Uint8Array;
  address: Uint8Array;
}

/** Deterministic validators: the same `seed` gives the same keys in every run. */
export function testValidators(count: number, seed = "light"): TestValidator[] {
  return Array.from({ length: count }, (_, i) => {
    const secret = new Uint8Array(createHash("sha256").update(`${seed}/${i}`).digest());
    const pubkey = publicKeyOf(secret);
    return { secret, key: privateKeyObject(secret), pubkey, address: addressFromPublicKey(pubkey) };
  });
}

export interface Member {
  validator: TestValidator;
  power: number;
}

export const asValidator = (m: Member): Validator => ({
  address: m.validator.address,
  pubkey: m.validator.pubkey,
  power: m.power,
});

export interface LightChainSpec {
  chainId: string;
  genesisTimeMs: number;
  /** The validator set of each height (height 1 is signed by the genesis set, setAt(1)). */
  setAt: (height: number) => Member[];
  /** Who signs each height's commit; all of its set by default. */
  signersAt?: (height: number) => TestValidator[];
  /** The state root header H carries; a hash of the height by default. */
  stateRootAt?: (height: number) => Uint8Array;
}

export interface NodeLightBlock {
  header: Header;
  commit: Commit;
  validators: Validator[];
  nextValidators: Validator[];
}

export interface LightChain {
  spec: LightChainSpec;
  genesis: Validator[];
  blocks: Map<number, NodeLightBlock>;
  at(height: number): NodeLightBlock;
}

const h32 = (text: string) => new Uint8Array(createHash("sha256").update(text).digest());

/** Signs `header` as a commit by `signers` (their precommits, each at its own time). */
export function signCommit(chainId: string, header: Header, signers: readonly TestValidator[], round = 0): Commit {
  const hash = blockHash(header);
  return {
    height: header.height,
    round,
    blockHash: hash,
    signatures: signers.map((s, i) => {
      const timeMs = header.timeMs + 1 + i;
      const { height } = header;
      const vote = { type: PRECOMMIT, height, round, blockHash: hash, timeMs, validatorAddress: s.address } as const;
      return { validatorAddress: s.address, timeMs, signature: signFast(voteSignBytes(chainId, vote), s.key) };
    }),
  };
}

export function buildLightChain(spec: LightChainSpec, tipHeight: number): LightChain {
  const blocks = new Map<number, NodeLightBlock>();
  let lastHash: Uint8Array = new Uint8Array(0);
  let lastCommit: Commit | undefined;
  for (let height = 1; height <= tipHeight; height++) {
    const set = spec.setAt(height);
    const validators = set.map(asValidator);
    const nextValidators = spec.setAt(height + 1).map(asValidator);
    const header: Header = {
      chainId: spec.chainId,
      height,
      timeMs: spec.genesisTimeMs + 1000 * height,
      lastBlockHash: lastHash,
      lastCommitHash: commitHash(lastCommit),
      txsRoot: h32(`txs/${height}`),
      stateRoot: spec.stateRootAt?.(height) ?? h32(`state/${height}`),
      resultsRoot: h32(`results/${height}`),
      validatorsHash: validatorsHash(validators),
      nextValidatorsHash: validatorsHash(nextValidators),
      proposerAddress: set[height % set.length].validator.address,
      evidenceRoot: h32(""),
    };
    const signers = spec.signersAt?.(height) ?? set.map((m) => m.validator);
    const commit = signCommit(spec.chainId, header, signers);
    blocks.set(height, { header, commit, validators, nextValidators });
    lastHash = blockHash(header);
    lastCommit = commit;
  }
  return {
    spec,
    genesis: spec.setAt(1).map(asValidator),
    blocks,
    at(height) {
      const b = blocks.get(height);
      if (b === undefined) throw new Error(`no block at height ${height}`);
      return b;
    },
  };
}
