import { addressFromPublicKey } from "../../crypto/address.ts";
import { publicKeyOf } from "../../crypto/ed25519.ts";
import type { TxResult } from "../../proto/records.ts";
import { decodeTx, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import type { BlockContext } from "../../state/block-context.ts";
import type { TxError } from "../../state/errors.ts";
import { executeBlock } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { mintSupply } from "../../state/modules/bank/bank.ts";
import { addAmount } from "../../state/modules/common.ts";
import { currentParams } from "../../state/modules/gov/params-store.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import type { TxEvent } from "../../proto/records.ts";
import type { UpgradeBinary } from "../../state/upgrades/handler.ts";
import { TestAccount } from "./accounts.ts";
import { MemoryState } from "./memory-state.ts";

export const OPEN = 10n ** 18n;
export const CHAIN = "opl-gov-1";

/** Short periods so a proposal's whole life fits in a few blocks. */
export const GOV_TEST_PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  gov: { ...DEFAULT_PARAMS.gov, minDeposit: 100n * OPEN, depositPeriodBlocks: 5, votingPeriodBlocks: 5 },
};

/**
 * A small chain through the real executor, for governance tests: accounts 0-2 run genesis validators with
 * 300, 200 and 100 OPEN of self-stake; accounts 3-5 are funded stakers and voters; every account holds 10,000
 * OPEN at genesis. Each block's params are read from state as the node does (absent: genesis's).
 */
export class GovChain {
  readonly state = new MemoryState();
  readonly accounts = Array.from({ length: 6 }, (_, i) => new TestAccount(new Uint8Array(32).fill(0x60 + i)));
  readonly genesisParams: ChainParams;
  height = 0;
  /** Events of the last block's begin and end (tallies, drops...). */
  blockEvents: TxEvent[] = [];
  /** The upgrade handlers and skipped heights the blocks run with (the node's binary); default none. */
  upgrades: UpgradeBinary | undefined;

  /** `moreValidators`: that many more genesis validators (1 OPEN each, operators outside `accounts`), for benches. */
  constructor(params: ChainParams = GOV_TEST_PARAMS, treasury = 0n, moreValidators = 0) {
    this.genesisParams = params;
    const stakes = [300n, 200n, 100n];
    const more = Array.from({ length: moreValidators }, (_, i) => {
      const operator = new Uint8Array(20);
      new DataView(operator.buffer).setUint32(16, 0xa0000000 + i);
      const pubkey = publicKeyOf(Uint8Array.from({ length: 32 }, (_, k) => (k < 4 ? (i >> (8 * k)) & 0xff : 0x33)));
      return { address: addressFromPublicKey(pubkey), pubkey, operator, moniker: `m${i}`, selfStake: OPEN };
    });
    this.state.apply(
      genesisWrites({
        chainId: CHAIN,
        genesisTimeMs: 0,
        params,
        validators: [...stakes.map((s, i) => {
          const pubkey = publicKeyOf(new Uint8Array(32).fill(0x90 + i));
          return {
            address: addressFromPublicKey(pubkey),
            pubkey,
            operator: this.accounts[i].address,
            moniker: `v${i}`,
            selfStake: s * OPEN,
          };
        }), ...more],
        accounts: [
          ...this.accounts.map((a) => ({ address: a.address, balance: 10_000n * OPEN })),
          ...more.map((v) => ({ address: v.operator, balance: OPEN })),
        ],
      }),
    );
    // A treasury to spend, minted like genesis mints balances (the supply grows by the same).
    if (treasury > 0n) {
      this.state.run((view) => {
        addAmount(view, MODULE_PREFIX.treasury, treasury);
        mintSupply(view, treasury);
      });
    }
  }

  address(i: number): Uint8Array {
    return this.accounts[i].address;
  }

  params(): ChainParams {
    return currentParams(this.state, this.genesisParams);
  }

  context(): BlockContext {
    return {
      chainId: CHAIN,
      height: this.height + 1,
      timeMs: 1_700_000_000_000 + (this.height + 1) * 1000,
      proposer: new Uint8Array(20).fill(0xee),
      params: this.params(),
      lastCommitVotes: [],
      evidence: [],
      upgrades: this.upgrades,
    };
  }

  /** One block of these txs (each must pass its ante); returns their results. */
  block(ops: readonly { from: number; msg: TxMsg }[] = []): TxResult[] {
    const ctx = this.context();
    const txs = ops.map(({ from, msg }) => {
      const a = this.accounts[from];
      return decodeTx(
        signTx({ chainId: CHAIN, senderPubkey: a.publicKey, nonce: a.nonce++, fee: ctx.params.minFee, msg }, (m) =>
          a.sign(m),
        ).bytes,
      );
    });
    const outcome = executeBlock(this.state, txs, ctx);
    if (!outcome.ok) throw new Error(`block ${ctx.height} refused a tx: ${outcome.rejected.error.message}`);
    this.state.apply(outcome.execution.writes);
    this.height = ctx.height;
    this.blockEvents = outcome.execution.blockEvents;
    return outcome.execution.results;
  }

  /**
   * What a block with this one tx says when the tx cannot be in a block at all (its stateless check or ante
   * fails): the error, with the state and the account's nonce untouched.
   */
  refusal(from: number, msg: TxMsg): TxError {
    const ctx = this.context();
    const a = this.accounts[from];
    const tx = decodeTx(
      signTx({ chainId: CHAIN, senderPubkey: a.publicKey, nonce: a.nonce, fee: ctx.params.minFee, msg }, (m) =>
        a.sign(m),
      ).bytes,
    );
    const outcome = executeBlock(this.state, [tx], ctx);
    if (outcome.ok) throw new Error(`a ${msg.type} was includable`);
    return outcome.rejected.error;
  }

  /** One tx in a block of its own. */
  send(from: number, msg: TxMsg): TxResult {
    return this.block([{ from, msg }])[0];
  }

  /** Empty blocks until `height` has been executed. */
  until(height: number): void {
    while (this.height < height) this.block();
  }
}
