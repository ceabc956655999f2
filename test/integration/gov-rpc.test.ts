import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../crypto/bytes.ts";
import {
  decodeLightBlockJson,
  decodeStateProofAnswerJson,
  trustGenesis,
  verifyParamsAnswer,
  verifyToHeight,
} from "../../light/index.ts";
import { genesisValidatorSet } from "../../node/validator-sets.ts";
import { paramsToJson } from "../../state/params-check.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcError } from "../../rpc/errors.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import type { MethodName, ParamsOf, ResultOf } from "../../rpc/typed-client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Governance through a real node over real HTTP: a parameter change submitted, voted by the validator,
 * executed at the end of its vote; chain_getParams shows the new value from the next block on, the params
 * record is provable, and the gov_* methods show the proposal, its votes, deposits and tally.
 */
const FEE = DEFAULT_PARAMS.minFee;
const VOTING_BLOCKS = 8;
let chain: TestChain;

async function send(msg: TxMsg): Promise<ResultOf<"tx_get">> {
  const account = chain.faucet;
  const built = buildTx(
    { chainId: chain.chainId, publicKey: account.publicKey, nonce: account.nonce++, fee: FEE, msg },
    (m) => account.sign(m),
  );
  const { hash } = await chain.client.tx.submit({ tx: toBase64(built.bytes) });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const included = await chain.client.tx.get({ hash });
      expect(included.result.code, included.result.log).toBe(0);
      return included;
    } catch (err) {
      if (!(err instanceof RpcError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A call through the typed client: params and result typed from the method's declaration. */
const call = <N extends MethodName>(method: N, params: ParamsOf<N>): Promise<ResultOf<N>> =>
  (chain.client.call as (name: N, params: ParamsOf<N>) => Promise<ResultOf<N>>)(method, params);

/**
 * The light client (light/) verifies the params proof from the genesis validators: the changed params from
 * the proven record at `changedAt`, the genesis file's params where the record is proven absent (and only
 * with them), and refuses a tampered record.
 */
async function lightClientChecksParams(changedAt: number): Promise<void> {
  const { genesis } = chain.node;
  const trusted = trustGenesis(genesis.chainId, genesisValidatorSet(genesis), genesis.genesisTimeMs);
  const fetch = async (h: number) => decodeLightBlockJson(await call("light_getBlock", { height: h }));
  const proven = async (height: number) => {
    const answer = decodeStateProofAnswerJson(await call("state_getProof", { key: { params: true }, height }));
    const { block, trusted: at } = await verifyToHeight(trusted, height, fetch);
    return { answer, header: block.header, hash: at.hash as Uint8Array };
  };
  const genesisParams = { chainId: genesis.chainId, params: paramsToJson(genesis.params) };
  const after = await proven(changedAt);
  const changed = verifyParamsAnswer(after.answer, after.header, after.hash, genesisParams);
  expect(changed).toMatchObject({ source: "state", params: { attribution: { protocolSharePpm: 120_000 } } });
  const before = await proven(changedAt - 1);
  const original = verifyParamsAnswer(before.answer, before.header, before.hash, genesisParams);
  expect(original).toMatchObject({ source: "genesis", params: { attribution: { protocolSharePpm: 100_000 } } });
  expect(() => verifyParamsAnswer(before.answer, before.header, before.hash)).toThrow(
    expect.objectContaining({ code: "NEEDS_GENESIS" }),
  );
  expect(() => verifyParamsAnswer(before.answer, before.header, before.hash, { ...genesisParams, chainId: "other" }))
    .toThrow(expect.objectContaining({ code: "WRONG_CHAIN" }));
  // The record with another share: its hash is not the proven leaf's.
  const forged = utf8(new TextDecoder().decode(after.answer.valueBytes).replace("120000", "130000"));
  expect(() => verifyParamsAnswer({ ...after.answer, valueBytes: forged }, after.header, after.hash, genesisParams))
    .toThrow(expect.objectContaining({ code: "INVALID_PROOF" }));
  // A record claimed absent where it is present: the proof's leaf is the key's own.
  expect(() => verifyParamsAnswer({ ...after.answer, valueBytes: undefined }, after.header, after.hash, genesisParams))
    .toThrow(expect.objectContaining({ code: "INVALID_PROOF" }));
}

beforeAll(async () => {
  chain = await startTestChain({
    blockIntervalMs: 100,
    params: (p) => ({ ...p, gov: { ...p.gov, votingPeriodBlocks: VOTING_BLOCKS, minDeposit: 10n * ONE_OPEN } }),
  });
});

afterAll(async () => {
  await chain?.stop();
});

describe("governance over JSON-RPC", () => {
  it("a parameter change passes, applies from the block after its tally, and is provable", async () => {
    const submitted = await send({
      type: "submit_proposal",
      title: "raise the protocol share",
      description: "",
      deposit: 10n * ONE_OPEN,
      content: { kind: "params", changes: [{ key: "attribution.protocolSharePpm", value: "120000" }] },
    });
    await send({ type: "vote", proposalId: 1, option: "yes", validators: [] });
    const live = await call("gov_getTally", { proposalId: 1 });
    expect(live.live).toBe(true);
    expect(BigInt(live.tally.yes)).toBeGreaterThan(0n);

    const votingEnd = submitted.height + VOTING_BLOCKS;
    await chain.waitForHeight(votingEnd + 1);
    const proposal = await call("gov_getProposal", { id: 1 });
    expect(proposal).toMatchObject({ status: "passed", kind: "params", votingEnd });

    // chain_getParams and a proven params record are declared as any JSON object: the field read is named here.
    type Params = { attribution: { protocolSharePpm: number }; height: number };
    const before = (await call("chain_getParams", { height: votingEnd - 1 })) as Params;
    const after = (await call("chain_getParams", { height: votingEnd })) as Params;
    expect(before.attribution.protocolSharePpm).toBe(100_000);
    expect(after.attribution.protocolSharePpm).toBe(120_000);
    const proof = await call("state_getProof", {
      key: { params: true },
    });
    expect((proof.value as Params | null)?.attribution.protocolSharePpm).toBe(120_000);
    const absent = await call("state_getProof", { key: { params: true }, height: votingEnd - 1 });
    expect(absent.value).toBeNull();
    await lightClientChecksParams(votingEnd);

    const votes = await call("gov_getVotes", { proposalId: 1 });
    expect(votes.items).toEqual([{ proposalId: 1, voter: chain.faucet.bech32, option: "yes", validators: [] }]);
    const deposits = await call("gov_getDeposits", { proposalId: 1 });
    expect(deposits.items).toEqual([{ depositor: chain.faucet.bech32, amount: (10n * ONE_OPEN).toString() }]);
    const final = await call("gov_getTally", { proposalId: 1 });
    expect(final).toMatchObject({ live: false, status: "passed" });
    const passed = await call("gov_listProposals", { status: "passed" });
    expect(passed.items.map((p) => p.id)).toEqual([1]);
    expect((await call("gov_listProposals", { status: "rejected" })).items).toEqual([]);
    await expect(call("gov_getProposal", { id: 9 })).rejects.toThrow(/proposal 9 does not exist/);
  });

  it("gov_getVotes lists a voter's votes across proposals, a page at a time; a validator's power follows a changed powerReduction", async () => {
    const halved = DEFAULT_PARAMS.staking.powerReduction / 2n;
    const submitted = await send({
      type: "submit_proposal",
      title: "twice the power per token",
      description: "",
      deposit: 10n * ONE_OPEN,
      content: { kind: "params", changes: [{ key: "staking.powerReduction", value: String(halved) }] },
    });
    await send({ type: "vote", proposalId: 2, option: "yes", validators: [] });
    const voter = chain.faucet.bech32;
    const first = await call("gov_getVotes", { voter, limit: 1 });
    expect(first.items).toEqual([{ proposalId: 1, voter, option: "yes", validators: [] }]);
    expect(first.nextCursor).not.toBeNull();
    const second = await call("gov_getVotes", { voter, limit: 1, cursor: first.nextCursor ?? undefined });
    expect(second.items).toEqual([{ proposalId: 2, voter, option: "yes", validators: [] }]);
    const rest = await call("gov_getVotes", { voter, cursor: second.nextCursor ?? undefined });
    expect(rest).toMatchObject({ items: [], nextCursor: null });
    const nobody = new TestAccount().bech32;
    expect((await call("gov_getVotes", { voter: nobody })).items).toEqual([]);
    await expect(call("gov_getVotes", { voter, proposalId: 1 })).rejects.toThrow(/exactly one of proposalId or voter/);
    await expect(call("gov_getVotes", {})).rejects.toThrow(/exactly one of proposalId or voter/);

    // A validator's power as the RPC shows it is its tokens over the powerReduction in force at that height.
    const votingEnd = submitted.height + VOTING_BLOCKS;
    await chain.waitForHeight(votingEnd + 1);
    const operator = chain.faucet.bech32;
    const before = await call("staking_getValidator", { address: operator, height: votingEnd - 1 });
    const after = await call("staking_getValidator", { address: operator, height: votingEnd });
    expect(before.power).toBe(Number(BigInt(before.tokens) / DEFAULT_PARAMS.staking.powerReduction));
    expect(after.power).toBe(Number(BigInt(after.tokens) / halved));
    const listed = await call("staking_getValidators", { height: votingEnd });
    expect(listed.items[0].power).toBe(after.power);
    // state_getProof shows the proven validator as staking_getValidator does, at the proof's height.
    // A proven value is declared as any JSON value: it is the validator record, shown as staking_getValidator shows it.
    type Shown = ResultOf<"staking_getValidator">;
    const provedAfter = await call("state_getProof", { height: votingEnd, key: { validator: operator } });
    expect((provedAfter.value as Shown).power).toBe(after.power);
    const provedBefore = await call("state_getProof", { height: votingEnd - 1, key: { validator: operator } });
    expect((provedBefore.value as Shown).power).toBe(before.power);
  });
});
