// An account: balance and nonce, its stakes and unbondings, its rewards (accrued, claimed, and per source),
// and its latest transactions (tx_search by address, newest first).

import { accountLink, amount, blockLink, fields, h, link, mono, section, table, txLink } from "../dom.js";
import { batch, RpcError } from "../rpc.js";
import { resultBadge } from "./tx.js";

/** Transactions listed. */
const TX_LIMIT = 20;

/**
 * @param {string[]} params [address]
 * @param {AbortSignal} signal
 */
export async function accountPage([address], signal) {
  const [account, stake, rewards, txs] = await batch(
    [
      ["account_get", { address }],
      ["staking_getStake", { delegator: address }],
      ["attribution_getRewards", { address, limit: 100 }],
      ["tx_search", { address, order: "desc", limit: TX_LIMIT }],
    ],
    signal,
  );
  if (account instanceof RpcError) throw account;
  /** @type {import("../types.js").Account} */
  const a = account;
  /** @type {import("../types.js").Stake | undefined} */
  const s = stake instanceof RpcError ? undefined : stake;
  /** @type {import("../types.js").Rewards | undefined} */
  const r = rewards instanceof RpcError ? undefined : rewards;
  const body = h(
    "div",
    {},
    fields([
      ["Address", mono(a.address)],
      ["Balance", amount(a.balance)],
      ["Nonce", String(a.nonce)],
      ["Staked", s === undefined ? "—" : amount(s.totalStaked)],
      ["Unbonding", s === undefined ? "—" : amount(s.totalUnbonding)],
      ["Rewards to claim", r === undefined ? "—" : amount(r.accrued)],
      ["Rewards claimed", r === undefined ? "—" : amount(r.claimed)],
      ["As of block", blockLink(a.height)],
    ]),
    section(
      "Stakes",
      table(
        ["Validator", "Operator", "Value"],
        (s?.stakes ?? []).map((x) => [x.moniker, accountLink(x.validator), amount(x.value)]),
        { numeric: [2], empty: "no stakes", label: "stakes" },
      ),
      s !== undefined && s.unbonding.length > 0
        ? table(
            ["Unbonding from", "Amount", "Since block", "Completes at block"],
            s.unbonding.map((u) => [
              accountLink(u.validator),
              amount(u.amount),
              blockLink(u.creationHeight),
              blockLink(u.completionHeight),
            ]),
            { numeric: [1], label: "unbonding" },
          )
        : null,
    ),
    section(
      "Rewards by source",
      table(
        ["Source", "Earned"],
        (r?.breakdown ?? []).map((x) => [link(`/${x.source}/${x.id}`, `${x.source} ${x.id}`), amount(x.amount)]),
        { numeric: [1], empty: "no rewards", label: "rewards" },
      ),
    ),
    section(`Latest transactions (up to ${TX_LIMIT})`, txTable(txs)),
  );
  return { title: "Account", body };
}

/** @param {unknown} answer tx_search's answer or its error */
function txTable(answer) {
  if (answer instanceof RpcError) return h("p", { class: "muted" }, `Not available: ${answer.message}`);
  const items = /** @type {{ items: import("../types.js").SearchItem[] }} */ (answer).items.filter((i) => i.kind === "tx");
  return table(
    ["Block", "Hash", "Type", "From", "Fee", "Result"],
    items.map((t) => [
      blockLink(t.height),
      t.hash === undefined ? "" : txLink(t.hash),
      t.tx?.msg.type ?? "",
      t.tx === undefined ? "" : accountLink(t.tx.sender),
      t.tx === undefined ? "" : amount(t.tx.fee),
      t.result === undefined ? "" : resultBadge(t.result),
    ]),
    { numeric: [4], empty: "no transactions", label: "transactions" },
  );
}
