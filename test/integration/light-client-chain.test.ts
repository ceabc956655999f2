import { afterEach, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { initHome } from "../../node/init.ts";
import { homePaths } from "../../node/config.ts";
import { blockHash, type Header, type Validator } from "../../proto/block.ts";
import { treePath, valueHash } from "../../state/smt.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { commitView, headerView } from "../../rpc/views.ts";
import {
  decodeLightBlockJson,
  decodeStateProofAnswerJson,
  stateKeyOf,
  verifyStateProofAnswer,
  LightClientError,
  trustGenesis,
  trustLightBlock,
  verifyToHeight,
} from "../../light/index.ts";
import { openBuilder } from "../helpers/built-chain.ts";
import { TestProver } from "../helpers/smt-prover.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * The light client on blocks the node's application made (proposed by ChainApp, committed with the
 * validator's own precommit, on a LevelDB chain of a home made by `opl init`): the validator set comes from
 * the staking module, headers carry real state, results and last-commit roots. Each height's light block is
 * written as the contract's `light_getBlock` JSON with the node's views and decoded back.
 */

const tmp = tempDir("opl-light-chain-");
afterEach(() => tmp.cleanup());

const validatorsJson = (set: Validator[]) =>
  set.map((v) => ({ address: encodeAddress(v.address), pubkey: toHex(v.pubkey), power: v.power }));

describe("the light client on a chain the node built", () => {
  it("verifies every header from genesis and from a trusted hash, an account under the state root, and refuses tampering", async () => {
    const { genesis, account } = await initHome({ home: tmp.dir, chainId: "opl-light-chain-1", moniker: "v" });
    const builder = await openBuilder(tmp.dir);
    const sets = new Map<number, [Validator[], Validator[]]>();
    try {
      for (let h = 1; h <= 6; h++) {
        await builder.next([]);
        sets.set(h, [builder.app.validators(h), builder.app.validators(h + 1)]);
      }
    } finally {
      await builder.close();
    }
    // Read back as the RPC would: the block and its meta (the commit that decided it) from the chain db.
    const db = await ChainDb.open(homePaths(tmp.dir).chainDb);
    const answers = new Map<number, unknown>();
    const headers = new Map<number, Header>();
    const stateEntries: { key: Uint8Array; value: Uint8Array }[] = [];
    try {
      for await (const [key, value] of db.latestState()) stateEntries.push({ key, value });
      for (const [h, [validators, nextValidators]] of sets) {
        const [block, meta] = await Promise.all([db.getBlock(h), db.getBlockMeta(h)]);
        if (block === undefined || meta === undefined) throw new Error(`block ${h} is not stored`);
        headers.set(h, block.header);
        answers.set(h, JSON.parse(JSON.stringify({
          header: headerView(block),
          headerHash: toHex(meta.hash),
          commit: commitView(meta.commit),
          validators: validatorsJson(validators),
          nextValidators: validatorsJson(nextValidators),
        })));
      }
    } finally {
      await db.close();
    }
    const fetch = async (h: number) => decodeLightBlockJson(answers.get(h));
    const chainId = genesis.chainId;

    // The genesis set as the node's staking module computed it for height 1 (not taken from an answer).
    const genesisSet = (sets.get(1) as [Validator[], Validator[]])[0];
    const fromGenesis = await verifyToHeight(trustGenesis(chainId, genesisSet, genesis.genesisTimeMs), 6, fetch);
    expect(fromGenesis.trusted.hash).toEqual(blockHash(headers.get(6) as Header));
    expect(fromGenesis.block.header.stateRoot).toEqual((headers.get(6) as Header).stateRoot);

    const at2 = await fetch(2);
    const fromHash = await verifyToHeight(trustLightBlock(chainId, at2, blockHash(headers.get(2) as Header)), 5, fetch);
    expect(fromHash.path).toEqual([5]);

    const tampered = async (h: number) => {
      const b = await fetch(h);
      return h === 6 ? { ...b, header: { ...b.header, stateRoot: new Uint8Array(32).fill(1) } } : b;
    };
    // A state proof of the validator's account at height 6 (the state after block 6) against the verified
    // header: the proof comes from the test prover over the chain db's latest values, whose root must be
    // the header's own state root.
    const treeEntries = stateEntries.map((e) => ({ path: treePath(e.key), valueHash: valueHash(e.value) }));
    const prover = new TestProver(treeEntries);
    expect(toHex(prover.rootHash)).toBe(toHex(fromGenesis.block.header.stateRoot));
    const key = stateKeyOf({ account });
    const entry = stateEntries.find((e) => toHex(e.key) === toHex(key));
    if (entry === undefined) throw new Error("the validator's account is not in the state");
    const proof = prover.prove(treePath(key));
    const answer = (valueBytes: string) => decodeStateProofAnswerJson({
      height: 6,
      key: toHex(key),
      value: { address: account },
      valueBytes,
      proof: {
        siblings: proof.siblings.map(toHex),
        leaf: proof.leaf && { path: toHex(proof.leaf.path), valueHash: toHex(proof.leaf.valueHash) },
      },
      stateRoot: toHex(fromGenesis.block.header.stateRoot),
      ...(answers.get(6) as { header: unknown; headerHash: string; commit: unknown }),
    });
    const verifiedHash = fromGenesis.trusted.hash as Uint8Array;
    expect(verifyStateProofAnswer(answer(toHex(entry.value)), fromGenesis.block.header, verifiedHash, key).kind)
      .toBe("inclusion");
    const wrong = toHex(Uint8Array.of(...entry.value, 0));
    expect(() => verifyStateProofAnswer(answer(wrong), fromGenesis.block.header, verifiedHash, key))
      .toThrow(/the claimed value hashes to/);

    await expect(verifyToHeight(fromHash.trusted, 6, tampered)).rejects.toThrow(LightClientError);
    await expect(verifyToHeight(fromHash.trusted, 6, tampered))
      .rejects.toThrow(/commit at height 6 is for block \w{64}, but the header hashes to/);
  });
});
