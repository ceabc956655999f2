import { decodeAddress } from "../../crypto/address.ts";
import { equalBytes, fromBase64, fromHex } from "../../crypto/bytes.ts";
import { verifyCommit } from "../../consensus/validator-set.ts";
import { blockHash, type Commit, type Header, type Validator, validatorsHash } from "../../proto/block.ts";
import type { RpcClient } from "../../rpc/client.ts";
import { stateProofFailure } from "./verify-state-proof.ts";

/**
 * Checks a state_getProof answer the way a client that trusts only a validator set would (test-only; the
 * light client library in light/ is what users run): the header rebuilt from its JSON hashes to headerHash,
 * the commit is signed by > 2/3 of the validator set light_getBlock gives for that height (whose hash the
 * header carries), and the proof proves valueBytes (or absence) at key against the header's stateRoot.
 */

export interface HeaderJson {
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

export interface CommitJson {
  height: number;
  round: number;
  blockHash: string;
  signatures: { validator: string; time: string; signature: string }[];
}

export interface ValidatorJson {
  address: string;
  pubkey: string;
  power: number;
}

export interface ProofJson {
  siblings: string[];
  leaf: { path: string; valueHash: string } | null;
}

export interface ProofAnswer {
  height: number;
  key: string;
  value: unknown;
  valueBytes: string | null;
  proof: ProofJson;
  stateRoot: string;
  header: HeaderJson;
  headerHash: string;
  commit: CommitJson;
  committedBy: string;
}

export interface LightBlock {
  header: HeaderJson;
  headerHash: string;
  commit: CommitJson;
  validators: ValidatorJson[];
  nextValidators: ValidatorJson[];
}

function hex(text: string): Uint8Array {
  const bytes = fromHex(text);
  if (bytes === undefined) throw new Error(`not lowercase hex: ${text}`);
  return bytes;
}

export function headerFromJson(h: HeaderJson): Header {
  return {
    chainId: h.chainId,
    height: h.height,
    timeMs: Date.parse(h.time),
    lastBlockHash: hex(h.lastBlockHash),
    lastCommitHash: hex(h.lastCommitHash),
    txsRoot: hex(h.txsRoot),
    stateRoot: hex(h.stateRoot),
    resultsRoot: hex(h.resultsRoot),
    validatorsHash: hex(h.validatorsHash),
    nextValidatorsHash: hex(h.nextValidatorsHash),
    proposerAddress: decodeAddress(h.proposer),
    evidenceRoot: hex(h.evidenceRoot),
  };
}

export function commitFromJson(c: CommitJson): Commit {
  return {
    height: c.height,
    round: c.round,
    blockHash: hex(c.blockHash),
    signatures: c.signatures.map((s) => ({
      validatorAddress: decodeAddress(s.validator),
      timeMs: Date.parse(s.time),
      signature: fromBase64(s.signature) as Uint8Array,
    })),
  };
}

export function validatorsFromJson(vs: ValidatorJson[]): Validator[] {
  return vs.map((v) => ({ address: decodeAddress(v.address), pubkey: hex(v.pubkey), power: v.power }));
}

/** Why a header and commit are not the chain's at that height per these validators, or undefined. */
export function headerFailure(header: HeaderJson, headerHash: string, commit: CommitJson, validators: Validator[]) {
  const h = headerFromJson(header);
  if (!equalBytes(blockHash(h), hex(headerHash))) return "the header does not hash to headerHash";
  if (!equalBytes(validatorsHash(validators), h.validatorsHash)) return "the validators are not the header's";
  return verifyCommit(h.chainId, validators, h.height, hex(headerHash), commitFromJson(commit));
}

/** Why a state_getProof answer does not verify, or undefined (asks the node for the height's validators). */
export async function proofAnswerFailure(rpc: RpcClient, a: ProofAnswer): Promise<string | undefined> {
  const light = await rpc.call<LightBlock>("light_getBlock", { height: a.height });
  const why = headerFailure(a.header, a.headerHash, a.commit, validatorsFromJson(light.validators));
  if (why !== undefined) return why;
  if (a.header.height !== a.height) return "the header is of another height";
  if (a.stateRoot !== a.header.stateRoot) return "stateRoot is not the header's";
  const proof = {
    siblings: a.proof.siblings.map(hex),
    leaf: a.proof.leaf === null ? undefined : { path: hex(a.proof.leaf.path), valueHash: hex(a.proof.leaf.valueHash) },
  };
  const value = a.valueBytes === null ? undefined : hex(a.valueBytes);
  return stateProofFailure(hex(a.header.stateRoot), hex(a.key), value, proof);
}
