import { expect } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import type { DatanetSettings } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import type { RpcClient } from "../../rpc/client.ts";
import { APP_ERRORS, RpcError } from "../../rpc/errors.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "./accounts.ts";
import { waitFor } from "./tmp.ts";

/**
 * The AI-economy scenarios' common setup over JSON-RPC (integration tests against a real node): signing and
 * sending module messages in order and waiting for them, the ids their events name, the datanet settings
 * they use, and reading an RPC failure.
 */

/** Ten times the minimum fee: a record pays at least feePerCredit per reward credit it makes. */
export const ECONOMY_FEE = DEFAULT_PARAMS.minFee * 10n;

/** Datanet settings for a scenario that needs nothing special: open, 1 OPEN stake, 0.1 OPEN review fee. */
export const DATANET_SETTINGS: DatanetSettings = {
  description: "",
  license: "CC-BY-4.0",
  curators: [],
  contributionStake: ONE_OPEN,
  reviewFee: ONE_OPEN / 10n,
  allowListed: false,
  contributors: [],
};

/** A node to send to: its chain id and RPC client (a TestChain, a TestNode with the network's chain id...). */
export interface EconomyChain {
  chainId: string;
  rpc: RpcClient;
}

/** tx_get's answer for an included tx, the parts the scenarios read. */
export interface Included {
  height: number;
  index?: number;
  result: { code: number; log: string; events: { type: string; attributes: Record<string, string> }[] };
}

/** Signs `msg` with the account's next nonce (and advances it); `nonce` overrides without advancing. */
export function signMsg(
  chain: EconomyChain,
  account: TestAccount,
  msg: TxMsg,
  opts: { nonce?: number; fee?: bigint } = {},
): Uint8Array {
  const nonce = opts.nonce ?? account.nonce++;
  const fee = opts.fee ?? ECONOMY_FEE;
  const body = { chainId: chain.chainId, publicKey: account.publicKey, nonce, fee, msg };
  return buildTx(body, (m) => account.sign(m)).bytes;
}

/** tx_submit: the hash, once the mempool admitted it. */
export async function submitTx(chain: EconomyChain, bytes: Uint8Array): Promise<string> {
  return (await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(bytes) })).hash;
}

/** Polls tx_get until the tx is included (a deadline, not a sleep, decides failure). */
export function includedTx(chain: EconomyChain, hash: string, timeoutMs = 10_000): Promise<Included> {
  return waitFor(
    `tx ${hash} included`,
    async () => {
      try {
        return await chain.rpc.call<Included>("tx_get", { hash });
      } catch (err) {
        if (err instanceof RpcError && err.code === APP_ERRORS.TX_NOT_FOUND) return undefined;
        throw err;
      }
    },
    timeoutMs,
  );
}

/**
 * Signs each (account, message) with the account's next nonce, submits them in order, waits for all to be
 * included, and expects every one to have succeeded (code 0; its log says why not).
 */
export async function sendAll(
  chain: EconomyChain,
  txs: readonly [TestAccount, TxMsg][],
  fee = ECONOMY_FEE,
): Promise<Included[]> {
  const hashes: string[] = [];
  for (const [account, msg] of txs) hashes.push(await submitTx(chain, signMsg(chain, account, msg, { fee })));
  const done: Included[] = [];
  for (const hash of hashes) done.push(await includedTx(chain, hash));
  for (const t of done) expect(t.result.code, t.result.log).toBe(0);
  return done;
}

/** The id a creating message's event names (datanet, contribution, model, inference). */
export function idOf(t: Included): number {
  return Number(t.result.events.find((e) => e.attributes.id !== undefined)?.attributes.id);
}

/** The error a call fails with (and fails the test if it succeeds). */
export async function rpcFailure(rpc: RpcClient, method: string, params: Record<string, unknown>): Promise<RpcError> {
  try {
    await rpc.call(method, params);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error(`${method} ${JSON.stringify(params)} succeeded`);
}

/** A refusal's stable name (error.data.reason), if it has one. */
export function reasonOf(err: RpcError): string | undefined {
  return (err.data as { reason?: string } | undefined)?.reason;
}
