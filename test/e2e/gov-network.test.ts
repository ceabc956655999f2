import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { homePaths } from "../../node/config.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcError } from "../../rpc/errors.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS, PPM } from "../../state/params.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { TestNetwork } from "../helpers/network.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Issue 16 on a 4-validator devnet of real processes: proposals to change attribution's protocol share and
 * to spend from the treasury to a datanet version's contributors pass, validators holding more than half
 * the power voting yes and a delegator overriding its validator's "no" with its own stake; the new share is
 * in chain_getParams and the next paid inference splits by it to the base unit (computed here from the
 * params); the contributors claim the spend. A vetoed proposal's deposit and a proposal that misses quorum
 * go to the treasury. A spend larger than the treasury and a vote from an address with no stake are refused.
 */
const OPEN = 10n ** 18n;
const FEE = DEFAULT_PARAMS.minFee * 10n; // a record pays feePerCredit per reward credit it makes
const DEPOSIT = 10n * OPEN;
const VOTING_BLOCKS = 40; // 8 s at 200 ms blocks: every vote below lands well inside it
const NEW_SHARE = 150_000;

let net: TestNetwork | undefined;
afterAll(async () => {
  await net?.stop();
});

interface Included {
  height: number;
  result: { code: number; log: string; events: { type: string; attributes: Record<string, string> }[] };
}

const hashOf = (text: string) => sha256(new TextEncoder().encode(text));

/** Short governance periods, the same edit in every home (so every genesis.json is the same file). */
function shortGov(home: string): void {
  const path = homePaths(home).genesis;
  const file = JSON.parse(readFileSync(path, "utf8")) as { params: { gov: Record<string, unknown> } };
  const gov = { minDeposit: DEPOSIT.toString(), votingPeriodBlocks: VOTING_BLOCKS, depositPeriodBlocks: 20 };
  file.params.gov = { ...file.params.gov, ...gov };
  writeFileSync(path, JSON.stringify(file, null, 2));
}

describe("governance on a 4-validator devnet", () => {
  it("param change and treasury spend pass by stake, veto and no quorum fund the treasury, refusals move nothing", async () => {
    net = await TestNetwork.start({ validators: 4, blockIntervalMs: 200, chainId: "opl-gov-net-1", accounts: 5, prepare: shortGov });
    const n = net;
    n.startWatchdog({ stallMs: 20_000 });
    const rpc = (i: number) => n.nodes[i % n.nodes.length].rpc;
    // Reads go to node0, the node each inclusion is awaited on: another node may not have committed it yet.
    const reader = n.nodes[0].rpc;
    const validators = [0, 1, 2, 3].map((i) => n.account(`node${i}`)); // the operators (they vote)
    const names = ["delegator", "owner", "c1", "c2", "payer"] as const;
    const acct = Object.fromEntries(names.map((name, i) => [name, n.account(`account${i}`)])) as Record<string, TestAccount>;
    const faucet = n.account("faucet");
    const fees = new Map<TestAccount, bigint>();
    let submitted = 0;

    /** Signs with the sender's next nonce, submits (to the nodes in turn), waits for inclusion. */
    async function send(from: TestAccount, msg: TxMsg): Promise<Included> {
      const body = { chainId: n.chainId, senderPubkey: from.publicKey, nonce: from.nonce++, fee: FEE, msg };
      const built = signTx(body, (m) => from.sign(m));
      await rpc(submitted++).call("tx_submit", { tx: toBase64(built.bytes) });
      fees.set(from, (fees.get(from) ?? 0n) + FEE);
      const hash = toHex(built.hash);
      return waitFor(`tx ${msg.type}`, async () => {
        try {
          return await reader.call<Included>("tx_get", { hash });
        } catch (err) {
          if (err instanceof RpcError) return undefined;
          throw err;
        }
      }, 30_000);
    }
    async function ok(from: TestAccount, msg: TxMsg): Promise<Included> {
      const r = await send(from, msg);
      expect(r.result.code, `${msg.type}: ${r.result.log}`).toBe(0);
      return r;
    }
    const idOf = (r: Included) => Number(r.result.events.find((e) => e.attributes.id !== undefined)?.attributes.id);
    /** One sender's txs in nonce order, sent together (to one node, so they arrive in order). */
    const inOrder = (from: TestAccount, msgs: TxMsg[]) => Promise.all(msgs.map((m) => ok(from, m)));
    const balance = async (a: TestAccount) =>
      BigInt((await reader.call<{ balance: string }>("account_get", { address: a.bech32 })).balance);
    const treasury = async () => BigInt((await reader.call<{ treasury: string }>("bank_getSupply")).treasury);
    const rewards = (a: TestAccount) =>
      reader.call<{ accrued: string; breakdown: { source: string; amount: string }[] }>("attribution_getRewards", {
        address: a.bech32,
      });
    const tokens = async (v: TestAccount) =>
      BigInt((await reader.call<{ tokens: string }>("staking_getValidator", { address: v.bech32 })).tokens);

    // The economy the proposals act on: a datanet version with two accepted contributions, a model trained
    // on it, and a first paid inference (at genesis's share) that puts something in the treasury.
    const staked = 50n * OPEN;
    const stake = ok(acct.delegator, { type: "stake", validator: validators[3].address, amount: staked });
    const datanet = idOf(await ok(acct.owner, {
      type: "create_datanet", name: "gov-notes", description: "", license: "CC-BY-4.0", curators: [],
      contributionStake: OPEN, reviewFee: 0n, allowListed: false, contributors: [],
    }));
    const contribute = (who: TestAccount, what: string) => ok(who, {
      type: "contribute", datanetId: datanet, contentHash: hashOf(what), uri: `ipfs://${what}`, sizeBytes: 10, metadata: "",
    });
    const [x1, x2] = (await Promise.all([contribute(acct.c1, "a"), contribute(acct.c2, "b")])).map(idOf);
    await inOrder(acct.owner, [
      { type: "review_contribution", contributionId: x1, accept: true },
      { type: "review_contribution", contributionId: x2, accept: true },
      { type: "publish_version", datanetId: datanet },
    ]);
    const price = 100n * OPEN + 7n; // not a round figure: the split's rounding shows
    const model = idOf(await ok(acct.owner, {
      type: "register_model", name: "gov-llm", kind: "model", parentId: 0, baseModel: "b", weightsHash: hashOf("w"),
      uri: "ipfs://w", trainedOn: [{ datanetId: datanet, version: 1 }], price,
    }));
    /** A paid inference recorded with all of its data share to contribution x1. */
    const inference = async (request: string) => {
      const id = idOf(await ok(acct.payer, { type: "pay_inference", modelId: model, requestHash: hashOf(request), maxPrice: price }));
      await ok(acct.owner, {
        type: "record_inference", inferenceId: id, outputHash: hashOf(`${request}!`),
        weights: [{ contributionId: x1, ppm: PPM, datanetId: 0, version: 0 }],
      });
    };
    await inference("first");
    await stake;

    // Four proposals from the faucet; a spend larger than the treasury is refused at submission.
    const spend = 8n * OPEN;
    const inTreasury = await treasury();
    expect(inTreasury).toBeGreaterThanOrEqual(spend);
    const faucetBefore = await balance(faucet);
    const feesBefore = fees.get(faucet) ?? 0n;
    const submit = (title: string, content: Extract<TxMsg, { type: "submit_proposal" }>["content"]): TxMsg =>
      ({ type: "submit_proposal", title, description: "", deposit: DEPOSIT, content });
    const tooLarge = await send(faucet, submit("too much", { kind: "spend", to: acct.c1.address, amount: inTreasury + OPEN }));
    expect(tooLarge.result.code).not.toBe(0);
    expect(tooLarge.result.log).toMatch(/treasury/);
    const proposals = await inOrder(faucet, [
      submit("raise the protocol share", { kind: "params", changes: [{ key: "attribution.protocolSharePpm", value: String(NEW_SHARE) }] }),
      submit("fund the data", { kind: "spend_datanet", datanetId: datanet, version: 1, amount: spend }),
      submit("vetoed", { kind: "text" }),
      submit("ignored", { kind: "text" }),
    ]);
    const proposalOf = (r: Included) => Number(r.result.events.find((e) => e.type === "submit_proposal")?.attributes.proposal);
    const [share, fund, vetoed, ignored] = proposals.map(proposalOf);

    // Three of four validators (3/4 of the power, less the delegator's 50 OPEN with node3) vote yes on the
    // share; node3 votes no, and its delegator overrides that with its own stake. Two veto the third; nobody
    // votes on the fourth. A vote from an address with no stake is refused.
    const votes = validators.map((v, i) => inOrder(v, [
      { type: "vote", proposalId: share, option: i < 3 ? "yes" : "no", validators: [] },
      { type: "vote", proposalId: fund, option: "yes", validators: [] },
      ...(i < 3 ? [{ type: "vote" as const, proposalId: vetoed, option: i < 2 ? "no_with_veto" as const : "yes" as const, validators: [] }] : []),
    ]));
    await ok(acct.delegator, { type: "vote", proposalId: share, option: "yes", validators: [validators[3].address] });
    const stranger = await send(acct.payer, { type: "vote", proposalId: share, option: "no", validators: [] });
    expect(stranger.result.code).not.toBe(0);
    expect(stranger.result.log).toMatch(/has no stake to vote with/);
    await Promise.all(votes);

    type Proposal = { status: string; votingEnd: number };
    const finished = await waitFor("the four proposals to finish", async () => {
      const ps = await Promise.all([share, fund, vetoed, ignored].map((id) => reader.call<Proposal>("gov_getProposal", { id })));
      return ps.every((p) => p.status !== "voting_period" && p.status !== "deposit_period") ? ps : undefined;
    }, 60_000);
    expect(finished.map((p) => p.status)).toEqual(["passed", "passed", "vetoed", "no_quorum"]);
    // The delegator's stake counted for yes, not with node3's no.
    const tally = await reader.call<{ tally: { yes: string; no: string } }>("gov_getTally", { proposalId: share });
    const power = await Promise.all(validators.map(tokens));
    expect(BigInt(tally.tally.yes)).toBe(power[0] + power[1] + power[2] + staked);
    expect(BigInt(tally.tally.no)).toBe(power[3] - staked);
    // Passed deposits came back; the vetoed one's and the unvoted one's went to the treasury.
    expect(await balance(faucet)).toBe(faucetBefore - ((fees.get(faucet) as bigint) - feesBefore) - 2n * DEPOSIT);
    expect(await treasury()).toBe(inTreasury - spend + 2n * DEPOSIT);

    // The new share is in force, and the next inference splits by it, to the base unit.
    type Params = { attribution: { protocolSharePpm: number; ownerSharePpm: number } };
    const { attribution } = await reader.call<Params>("chain_getParams");
    expect(attribution.protocolSharePpm).toBe(NEW_SHARE);
    const protocol = (price * BigInt(attribution.protocolSharePpm)) / BigInt(PPM);
    const owner = (price * BigInt(attribution.ownerSharePpm)) / BigInt(PPM);
    const data = price - protocol - owner;
    const [ownerBefore, c1Before] = [await rewards(acct.owner), await rewards(acct.c1)];
    const treasuryBefore = await treasury();
    await inference("second");
    expect(BigInt((await rewards(acct.owner)).accrued) - BigInt(ownerBefore.accrued)).toBe(owner);
    expect(BigInt((await rewards(acct.c1)).accrued) - BigInt(c1Before.accrued)).toBe(data);
    expect((await treasury()) - treasuryBefore).toBe(protocol);

    // The spend to the datanet version: shared equally by its two contributions, claimed by their authors.
    const c2Rewards = await rewards(acct.c2);
    expect(c2Rewards.breakdown).toEqual([expect.objectContaining({ source: "treasury", amount: String(spend / 2n) })]);
    for (const who of [acct.c1, acct.c2]) {
      const accrued = BigInt((await rewards(who)).accrued);
      const before = await balance(who);
      await ok(who, { type: "claim_rewards" });
      expect(await balance(who)).toBe(before + accrued - FEE);
    }
    expect(BigInt((await rewards(acct.c2)).accrued)).toBe(0n);

    n.assertHealthy();
    expect(await n.checkIdenticalHeaders()).toBeGreaterThan(VOTING_BLOCKS);
  }, 150_000);
});
