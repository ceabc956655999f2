import { describe, expect, it } from "vitest";
import { Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import { decodeTx, type TxBody, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import type { BlockContext } from "../../state/block-context.ts";
import { TX_ERRORS, TxError } from "../../state/errors.ts";
import { executeTx } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { getAccount, getSupply } from "../../state/modules/bank/bank.ts";
import { MAX_MULTI_SEND_OUTPUTS } from "../../state/modules/bank/multi-send.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId, Overlay, type StateReader } from "../../state/view.ts";
import { MSG_WORK, txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const OPEN = 10n ** 18n;

function signed(sender: TestAccount, msg: TxMsg, nonce = 0): Uint8Array {
  const body: TxBody = { chainId: CHAIN, senderPubkey: sender.publicKey, nonce, fee: FEE, msg };
  return signTx(body, (m) => sender.sign(m)).bytes;
}

function multiSend(outputs: { to: Uint8Array; amount: bigint }[]): TxMsg {
  return { type: "multi_send", outputs };
}

function setup(balance: bigint) {
  const alice = new TestAccount();
  const map = new Map<string, Uint8Array>();
  const writes = genesisWrites({
    chainId: CHAIN,
    genesisTimeMs: 0,
    params: DEFAULT_PARAMS,
    validators: [],
    accounts: [{ address: alice.address, balance }],
  });
  for (const w of writes) if (w.value !== undefined) map.set(keyId(w.key), w.value);
  const state: StateReader = { get: (k) => map.get(keyId(k)) };
  const ctx: BlockContext = {
    chainId: CHAIN,
    height: 1,
    timeMs: 1,
    proposer: new TestAccount().address,
    params: DEFAULT_PARAMS,
    lastCommitVotes: [],
    evidence: [],
  };
  return { alice, state, ctx };
}

const recipients = (n: number) => Array.from({ length: n }, () => new TestAccount().address);

describe("bank multi-send: one signer, many recipients", () => {
  it("funds 100 accounts in one transaction: each gets its amount, the sender pays the total and one fee", () => {
    const { alice, state, ctx } = setup(10_000n * OPEN);
    const to = recipients(100);
    const outputs = to.map((a, i) => ({ to: a, amount: BigInt(i + 1) * OPEN }));
    const total = outputs.reduce((s, o) => s + o.amount, 0n);
    const view = new Overlay(state);
    const result = executeTx(view, decodeTx(signed(alice, multiSend(outputs))), ctx);
    expect(result.code).toBe(0);
    for (const o of outputs) expect(getAccount(view, o.to).balance).toBe(o.amount);
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 10_000n * OPEN - total - FEE });
    expect(getSupply(view)).toBe(10_000n * OPEN);
    // One transfer event per recipient, as a transfer makes (indexers find each recipient's tx).
    const transfers = result.events.filter((e) => e.type === "transfer");
    expect(transfers).toHaveLength(100);
  });

  it("refuses at the stateless check: no outputs, too many, a zero amount, a duplicate recipient", () => {
    const { alice, state, ctx } = setup(1000n * OPEN);
    const [a, b] = recipients(2);
    const cases: [string, TxMsg, RegExp][] = [
      ["no outputs", multiSend([]), /at least one recipient/],
      [
        "too many",
        multiSend(recipients(MAX_MULTI_SEND_OUTPUTS + 1).map((to) => ({ to, amount: 1n }))),
        new RegExp(`${MAX_MULTI_SEND_OUTPUTS + 1} recipients; the limit is ${MAX_MULTI_SEND_OUTPUTS}`),
      ],
      ["zero amount", multiSend([{ to: a, amount: 1n }, { to: b, amount: 0n }]), /recipient 2 .* amount must be positive/],
      ["duplicate", multiSend([{ to: a, amount: 1n }, { to: b, amount: 1n }, { to: a, amount: 2n }]), /appears twice/],
    ];
    for (const [name, msg, message] of cases) {
      const view = new Overlay(state);
      let thrown: unknown;
      try {
        executeTx(view, decodeTx(signed(alice, msg)), ctx);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, name).toBeInstanceOf(TxError);
      expect((thrown as TxError).code, name).toBe("INVALID_MSG");
      expect((thrown as TxError).message, name).toMatch(message);
      expect(view.size, name).toBe(0);
    }
  });

  it("in a block, a total the balance cannot cover fails whole: nobody receives anything, the fee is paid", () => {
    const { alice, state, ctx } = setup(10n * OPEN);
    const [a, b] = recipients(2);
    const view = new Overlay(state);
    const result = executeTx(
      view,
      decodeTx(signed(alice, multiSend([{ to: a, amount: 6n * OPEN }, { to: b, amount: 4n * OPEN }]))),
      ctx,
    );
    expect(result.code).toBe(TX_ERRORS.INSUFFICIENT_FUNDS);
    expect(result.log).toMatch(/needs 10000000000000000000/);
    expect(getAccount(view, a).balance).toBe(0n);
    expect(getAccount(view, b).balance).toBe(0n);
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 10n * OPEN - FEE });
  });

  it("the mempool refuses a multi-send whose total plus fee is more than the balance", async () => {
    const alice = new TestAccount();
    const accounts = new Map<string, Account>([[keyId(alice.address), { nonce: 0, balance: 10n * OPEN }]]);
    const mempool = new Mempool(
      {
        maxTxs: 100,
        maxBytes: 1 << 20,
        maxPerSender: 16,
        ttlBlocks: 5,
        ttlMs: 60_000,
        maxGappedPerSender: 4,
        maxGappedTotal: 6,
      },
      {
        chainId: CHAIN,
        params: DEFAULT_PARAMS,
        verifier: new TxVerifier(CHAIN),
        account: (a) => accounts.get(keyId(a)) ?? { nonce: 0, balance: 0n },
        includedAt: async () => undefined,
        now: () => 1_000_000,
      },
    );
    const [a, b] = recipients(2);
    const tooMuch = signed(alice, multiSend([{ to: a, amount: 5n * OPEN }, { to: b, amount: 5n * OPEN }]));
    await expect(mempool.add(tooMuch)).rejects.toMatchObject({ code: "INSUFFICIENT_FUNDS" });
    expect(mempool.size).toBe(0);
    const enough = signed(alice, multiSend([{ to: a, amount: 5n * OPEN }, { to: b, amount: 4n * OPEN }]));
    await mempool.add(enough);
    expect(mempool.size).toBe(1);
  });

  it("costs work per recipient, so the block and pool work limits count every one", () => {
    const alice = new TestAccount();
    const outputs = (n: number) => recipients(n).map((to) => ({ to, amount: 1n }));
    const one = txWork(decodeTx(signed(alice, multiSend(outputs(1)))));
    const max = txWork(decodeTx(signed(alice, multiSend(outputs(MAX_MULTI_SEND_OUTPUTS)))));
    // Each added recipient costs at least what a transfer's message does (one leaf written, maybe created).
    expect(max - one).toBeGreaterThanOrEqual((MAX_MULTI_SEND_OUTPUTS - 1) * MSG_WORK.transfer);
    // A maximal multi-send stays a small share of a block's work budget.
    expect(max).toBeLessThan(DEFAULT_PARAMS.maxBlockWork / 20);
  });
});
