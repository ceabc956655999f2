import { addressFromPublicKey, encodeAddress } from "../../crypto/address.ts";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { merkleRoot } from "../../crypto/merkle.ts";
import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import {
  blockHash,
  type Commit,
  commitHash,
  encodeCommit,
  encodeHeader,
  encodeValidatorSet,
  evidenceRoot,
  type Header,
  txsRoot,
  validatorsHash,
} from "../../proto/block.ts";
import {
  type DuplicateVoteEvidence,
  encodeProposal,
  evidenceFields,
  encodeSignedProposal,
  encodeSignedVote,
  encodeVote,
  PRECOMMIT,
  type Proposal,
  proposalSignBytes,
  type Vote,
  voteSignBytes,
} from "../../proto/consensus.ts";
import { encodeAccount, encodeTxResult, type TxResult } from "../../proto/records.ts";
import { encodeAmount, encodeMessage } from "../../proto/codec.ts";
import { MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import { pb } from "../../proto/schema.ts";
import { encodeSignedTx, encodeTxBody, type TxBody, txHash, txSignBytes } from "../../proto/tx.ts";
import { possessionSignBytes } from "../../state/modules/staking/staking.ts";
import { MODULE_RULES, moduleAnswers, type ModuleVectorInput } from "./module-answers.ts";
import { SURFACE_RULES, surfaceAnswers, type SurfaceVectorInput } from "./surface-answers.ts";

/**
 * Known-answer vectors: every consensus-critical encoding, hash and signature of the chain, computed from
 * fixed inputs by the code, compared byte for byte with test/vectors/known-answers.json (written once by
 * test/vectors/generate.ts, never by a test). Each expected value is named by the rule it pins; the rules
 * are stated in docs/encoding.md under the same ids.
 */

/** The rules the vectors pin: their statement (for the failure message) and their section of the spec. */
export const RULES = {
  "PUBLIC-KEY": "an ed25519 public key is RFC 8032's, derived from the 32-byte secret seed",
  "ADDRESS": "an address is the first 20 bytes of sha256(32-byte ed25519 public key)",
  "ADDRESS-TEXT": `an address is shown as bech32 (BIP 173, not bech32m) with the prefix "opl"`,
  "ED25519-SIGNATURE": "signatures are RFC 8032 ed25519 (pure, no pre-hash, deterministic) over the sign bytes",
  "TX-BODY": "a TxBody is its canonical protobuf (fields chain_id=1, sender_pubkey=2, nonce=3, fee=4, one " +
    "message in the oneof from 16 up; fields in number order, defaults omitted, amounts minimal big-endian)",
  "TX-SIGN-BYTES": `tx sign bytes are sha256("OPL/tx/v1" || 0x00 || chain id (UTF-8) || 0x00 || TxBody bytes)`,
  "TX-SIGNATURE": "a tx signature is the sender key's ed25519 signature of the 32 tx sign bytes",
  "SIGNED-TX": "a SignedTx is the canonical protobuf {body=1: the exact TxBody bytes signed, signature=2}",
  "TX-HASH": "a tx hash is sha256(SignedTx bytes)",
  "VOTE": "a Vote is its canonical protobuf (type=1: 1 prevote, 2 precommit; height=2; round=3; " +
    "block_hash=4, empty for nil; time_ms=5; validator_address=6)",
  "VOTE-SIGN-BYTES": `vote sign bytes are sha256("OPL/vote/v1" || 0x00 || chain id || 0x00 || Vote bytes)`,
  "VOTE-SIGNATURE": "a vote signature is the validator key's ed25519 signature of the 32 vote sign bytes",
  "SIGNED-VOTE": "a SignedVote is the canonical protobuf {vote=1, signature=2}",
  "PROPOSAL": "a Proposal is its canonical protobuf (height=1, round=2, pol_round=3 as sint32 (zigzag; -1 = " +
    "none), block_hash=4, time_ms=5, proposer_address=6)",
  "PROPOSAL-SIGN-BYTES": `proposal sign bytes are sha256("OPL/proposal/v1" || 0x00 || chain id || 0x00 || Proposal bytes)`,
  "PROPOSAL-SIGNATURE": "a proposal signature is the proposer key's ed25519 signature of the 32 proposal sign bytes",
  "SIGNED-PROPOSAL": "a SignedProposal is the canonical protobuf {proposal=1, signature=2}",
  "POSSESSION-SIGN-BYTES": `proof-of-possession sign bytes are sha256("OPL/consensus-key-possession/v1" || 0x00 || ` +
    "chain id || 0x00 || the 20-byte operator address)",
  "POSSESSION-SIGNATURE": "a proof of possession is the consensus key's ed25519 signature of its 32 sign bytes",
  "VALIDATOR-SET": "a ValidatorSet is the canonical protobuf {validators=1: repeated {address=1, pubkey=2, " +
    "power=3}}, in the set's order",
  "VALIDATORS-HASH": "a validators hash is sha256(ValidatorSet bytes)",
  "TXS-ROOT": "a txs root is the Merkle root over the tx hashes in block order (inner node sha256(0x01 || " +
    "left || right), an odd last node carried up, one leaf is its own root, no txs = sha256(\"\"))",
  "TX-RESULT": "a TxResult is its canonical protobuf (code=1, log=2, events=3: repeated {type=1, attributes=2: " +
    "repeated {key=1, value=2}}; an event is written even when empty)",
  "RESULTS-ROOT": "a results root is the Merkle root over leaves sha256(0x00 || TxResult bytes), one per tx in " +
    "block order (inner nodes as TXS-ROOT)",
  "EVIDENCE": "a DuplicateVoteEvidence is the canonical protobuf {vote_a=1, vote_b=2: SignedVote}",
  "EVIDENCE-ROOT": "an evidence root is the Merkle root over leaves sha256(0x00 || DuplicateVoteEvidence bytes), " +
    "in block order (inner nodes as TXS-ROOT; no evidence = sha256(\"\"))",
  "ACCOUNT": "an account (the value at key \"bank/acct/\" || 20-byte address) is the canonical protobuf " +
    "{nonce=1, balance=2: amount}; the supply (at key \"bank/supply\") is a bare amount, minimal big-endian",
  "STATE-ROOT": "a state root is the compact sparse Merkle tree's root over (path sha256(key), sha256(value)): " +
    "empty = 32 zero bytes, a one-entry subtree = sha256(0x00 || path || value hash), otherwise " +
    "sha256(0x01 || left || right), splitting on the path's bits from the most significant",
  "HEADER": "a Header is its canonical protobuf (chain_id=1, height=2, time_ms=3, last_block_hash=4, " +
    "last_commit_hash=5, txs_root=6, state_root=7, results_root=8, validators_hash=9, next_validators_hash=10, " +
    "proposer_address=11, evidence_root=12)",
  "BLOCK-HASH": "a block hash is sha256(Header bytes)",
  "COMMIT-SIGNATURES": "a commit signature is the validator's VOTE-SIGNATURE of the precommit {type 2, the " +
    "commit's height, round and block hash, the signature's time_ms, the validator's address}",
  "COMMIT": "a Commit is its canonical protobuf (height=1, round=2, block_hash=3, signatures=4: repeated " +
    "{validator_address=1, time_ms=2, signature=3})",
  "COMMIT-HASH": "a commit hash is sha256(Commit bytes); no commit (the first block) is sha256(\"\")",
  ...MODULE_RULES,
  ...SURFACE_RULES,
} as const;

export type RuleId = keyof typeof RULES;

/** Where each rule is stated: the signed and hashed bytes; the module state; what clients read and write. */
export const SPEC = "docs/encoding.md";

export function specOf(rule: RuleId): string {
  if (rule in MODULE_RULES) return "docs/module-state.md";
  if (rule in SURFACE_RULES) return "docs/client-formats.md";
  return SPEC;
}

export interface KeyVector {
  secretKey: string;
}

/**
 * Values in the fixture's JSON: bytes are "hex:<lowercase hex>", bigints "bigint:<decimal>", so a vector's
 * input reads back as the very value the code is given.
 */
export function toJsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
    if (typeof v === "bigint") return `bigint:${v}`;
    if (v !== null && typeof v === "object" && (v as { type?: unknown }).type === "Buffer") {
      return `hex:${toHex(Uint8Array.from((v as { data: number[] }).data))}`;
    }
    return v;
  }));
}

export function fromJsonValue<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => {
    if (typeof v === "string" && v.startsWith("hex:")) return hexBytes(v.slice(4));
    if (typeof v === "string" && v.startsWith("bigint:")) return BigInt(v.slice(7));
    return v;
  }) as T;
}

export function hexBytes(text: string): Uint8Array {
  const bytes = fromHex(text);
  if (bytes === undefined) throw new Error(`not lowercase hex: "${text.slice(0, 40)}"`);
  return bytes;
}

/** One vector's input, by kind. Keys are named; their secret seeds are in the fixture's `keys`. */
export type VectorInput =
  | { kind: "key"; key: string }
  | { kind: "ed25519"; key: string; message: Uint8Array }
  | { kind: "tx"; key: string; body: TxBody }
  | { kind: "vote"; key: string; chainId: string; vote: Vote }
  | { kind: "proposal"; key: string; chainId: string; proposal: Proposal }
  | { kind: "possession"; key: string; chainId: string; operator: Uint8Array }
  | { kind: "validator-set"; validators: { key: string; power: number }[] }
  | { kind: "txs-root"; txs: Uint8Array[] }
  | { kind: "results-root"; results: TxResult[] }
  | { kind: "evidence-root"; key: string; chainId: string; conflicts: [Vote, Vote][] }
  | { kind: "state-root"; accounts: { address: Uint8Array; nonce: number; balance: bigint }[]; supply?: bigint }
  | { kind: "header"; header: Header }
  | {
    kind: "commit";
    chainId: string;
    height: number;
    round: number;
    blockHash: Uint8Array;
    signers: { key: string; timeMs: number }[];
  }
  | { kind: "no-commit" }
  | ModuleVectorInput
  | SurfaceVectorInput;

/** The values a vector pins, in the order they are derived (the first that differs names the broken rule). */
export type Answers = [RuleId, string][];

export function secretKeyOf(keys: Record<string, KeyVector>, name: string): Uint8Array {
  const key = keys[name];
  if (key === undefined) throw new Error(`the fixture has no key named "${name}"`);
  return hexBytes(key.secretKey);
}

/** Everything the code derives from one vector's input. */
export function answers(input: VectorInput, keys: Record<string, KeyVector>): Answers {
  const secret = (name: string) => secretKeyOf(keys, name);
  const addressOf = (name: string) => addressFromPublicKey(publicKeyOf(secret(name)));
  switch (input.kind) {
    case "key": {
      const publicKey = publicKeyOf(secret(input.key));
      const address = addressFromPublicKey(publicKey);
      return [["PUBLIC-KEY", toHex(publicKey)], ["ADDRESS", toHex(address)], ["ADDRESS-TEXT", encodeAddress(address)]];
    }
    case "ed25519":
      return [["ED25519-SIGNATURE", toHex(signPortable(input.message, secret(input.key)))]];
    case "tx": {
      const body = encodeTxBody(input.body);
      const signBytes = txSignBytes(input.body.chainId, body);
      const signature = signPortable(signBytes, secret(input.key));
      const signed = encodeSignedTx({ body, signature });
      return [
        ["TX-BODY", toHex(body)],
        ["TX-SIGN-BYTES", toHex(signBytes)],
        ["TX-SIGNATURE", toHex(signature)],
        ["SIGNED-TX", toHex(signed)],
        ["TX-HASH", toHex(txHash(signed))],
      ];
    }
    case "vote": {
      const signBytes = voteSignBytes(input.chainId, input.vote);
      const signature = signPortable(signBytes, secret(input.key));
      return [
        ["VOTE", toHex(encodeVote(input.vote))],
        ["VOTE-SIGN-BYTES", toHex(signBytes)],
        ["VOTE-SIGNATURE", toHex(signature)],
        ["SIGNED-VOTE", toHex(encodeSignedVote({ vote: input.vote, signature }))],
      ];
    }
    case "proposal": {
      const signBytes = proposalSignBytes(input.chainId, input.proposal);
      const signature = signPortable(signBytes, secret(input.key));
      return [
        ["PROPOSAL", toHex(encodeProposal(input.proposal))],
        ["PROPOSAL-SIGN-BYTES", toHex(signBytes)],
        ["PROPOSAL-SIGNATURE", toHex(signature)],
        ["SIGNED-PROPOSAL", toHex(encodeSignedProposal({ proposal: input.proposal, signature }))],
      ];
    }
    case "possession": {
      const signBytes = possessionSignBytes(input.chainId, input.operator);
      return [
        ["POSSESSION-SIGN-BYTES", toHex(signBytes)],
        ["POSSESSION-SIGNATURE", toHex(signPortable(signBytes, secret(input.key)))],
      ];
    }
    case "validator-set": {
      const validators = input.validators.map((v) => {
        const pubkey = publicKeyOf(secret(v.key));
        return { address: addressFromPublicKey(pubkey), pubkey, power: v.power };
      });
      return [
        ["VALIDATOR-SET", toHex(encodeValidatorSet(validators))],
        ["VALIDATORS-HASH", toHex(validatorsHash(validators))],
      ];
    }
    case "txs-root":
      return [["TXS-ROOT", toHex(txsRoot(input.txs.map((t) => txHash(t))))]];
    case "results-root": {
      const encoded = input.results.map(encodeTxResult);
      return [["TX-RESULT", encoded.map(toHex).join(",")], ["RESULTS-ROOT", toHex(merkleRoot(encoded))]];
    }
    case "evidence-root": {
      const signed = (vote: Vote) => ({
        vote,
        signature: signPortable(voteSignBytes(input.chainId, vote), secret(input.key)),
      });
      const evidence: DuplicateVoteEvidence[] = input.conflicts.map(([a, b]) => ({
        voteA: signed(a),
        voteB: signed(b),
      }));
      const encoded = evidence.map((e) => encodeMessage(pb.DuplicateVoteEvidence, evidenceFields(e)));
      return [["EVIDENCE", encoded.map(toHex).join(",")], ["EVIDENCE-ROOT", toHex(evidenceRoot(evidence))]];
    }
    case "state-root": {
      const entries = input.accounts.map((a) => ({
        key: stateKey(MODULE_PREFIX.bankAccount, a.address),
        value: encodeAccount({ nonce: a.nonce, balance: a.balance }),
      }));
      if (input.supply !== undefined) {
        entries.push({ key: MODULE_PREFIX.bankSupply, value: encodeAmount(input.supply) });
      }
      const leaves = entries.map((e) => ({ path: treePath(e.key), valueHash: valueHash(e.value) }));
      const tree = SparseMerkleTree.fromEntries(leaves);
      return [["ACCOUNT", entries.map((e) => toHex(e.value)).join(",")], ["STATE-ROOT", toHex(tree.rootHash)]];
    }
    case "header":
      return [["HEADER", toHex(encodeHeader(input.header))], ["BLOCK-HASH", toHex(blockHash(input.header))]];
    case "commit": {
      const signatures = input.signers.map((s) => {
        const validatorAddress = addressOf(s.key);
        const precommit: Vote = {
          type: PRECOMMIT,
          height: input.height,
          round: input.round,
          blockHash: input.blockHash,
          timeMs: s.timeMs,
          validatorAddress,
        };
        const signature = signPortable(voteSignBytes(input.chainId, precommit), secret(s.key));
        return { validatorAddress, timeMs: s.timeMs, signature };
      });
      const commit: Commit = { height: input.height, round: input.round, blockHash: input.blockHash, signatures };
      return [
        ["COMMIT-SIGNATURES", signatures.map((s) => toHex(s.signature)).join(",")],
        ["COMMIT", toHex(encodeCommit(commit))],
        ["COMMIT-HASH", toHex(commitHash(commit))],
      ];
    }
    case "no-commit":
      return [["COMMIT-HASH", toHex(commitHash(undefined))]];
    case "record":
    case "module-state":
    case "datanet-tree":
    case "datanet-proof":
      return moduleAnswers(input);
    case "key-file":
    case "json-view":
    case "mnemonic-key":
      return surfaceAnswers(input, keys);
  }
}

export interface Vector {
  name: string;
  /** What this vector shows, for people. */
  about: string;
  input: unknown;
  expect: Record<string, string>;
}

export interface VectorFile {
  about: string;
  keys: Record<string, KeyVector>;
  vectors: Vector[];
}
