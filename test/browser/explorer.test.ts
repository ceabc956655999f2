import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatOpen } from "../../state/units.ts";
import { includedTx, signMsg, submitTx } from "../helpers/economy.ts";
import { BLOCK_TX_PAGE } from "../../explorer/pages/block.js";
import { type EconomyChain, startEconomyChain } from "./economy-chain.ts";
import { launchBrowser, SCREENSHOT_DIR, type TestBrowser, VIEWER_OFFSET_MS } from "./browser.ts";

/**
 * The explorer in a real browser (headless Chromium) against a real node that ran the AI economy: each page
 * shows what JSON-RPC returns for the same thing (amounts in OPEN, times in the viewer's zone), its links lead
 * to the pages they name, the membership proof is checked in the browser (and a tampered one is caught), the
 * chain page follows new blocks live, nothing scrolls sideways at phone width, and no page logs an error.
 * Screenshots of every page (desktop and phone) go to test-output/screenshots/ for review.
 */
let econ: EconomyChain;
let browser: TestBrowser;
let page: Page;
let base = "";
/** Why there is no browser (none installed): every test fails with it, none is skipped. */
let noBrowser: unknown;

beforeAll(async () => {
  try {
    browser = await launchBrowser(); // first: without Chromium there is no point in starting a node
  } catch (err) {
    noBrowser = err;
    return;
  }
  econ = await startEconomyChain();
  base = econ.chain.node.rpc.url;
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await econ?.chain.stop();
});

beforeEach(() => {
  if (noBrowser !== undefined) throw noBrowser;
});

afterEach(() => {
  // No page may log a console error or throw (a CSP violation, a failed load or a bug all would).
  expect(browser?.errors ?? []).toEqual([]);
});

const rpc = <T>(method: string, params: Record<string, unknown> = {}) => econ.chain.rpc.call<T>(method, params);
const open = (base: string | bigint) => `${formatOpen(BigInt(base))} OPEN`;

/** Goes to the explorer's `route` and waits for the page whose heading matches `title`. */
async function visit(route: string, title: RegExp | string): Promise<void> {
  await page.goto(`${base}/#${route}`);
  await heading(title);
}

async function heading(title: RegExp | string): Promise<void> {
  await page.locator("main h1", { hasText: title }).waitFor({ timeout: 15_000 });
}

/** The value shown next to a label of the page's fields. */
function field(label: string): Promise<string> {
  return page.locator(`main dl.fields dt:text-is("${label}") + dd`).first().innerText();
}

/** The rows of the table labelled `label`, each as its cells' text. */
async function rows(label: string): Promise<string[][]> {
  return page.locator(`main table[aria-label="${label}"] tbody tr`).evaluateAll((trs) =>
    // innerText: the text as rendered (what a person reads); the tests' TypeScript has no DOM library.
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => (td as unknown as { innerText: string }).innerText.trim())));
}

/** Clicks the first link to `route` and waits for the page it opens. */
async function follow(route: string, title: RegExp | string): Promise<void> {
  await page.locator(`main a[href="#${route}"]`).first().click();
  await heading(title);
  expect(page.url()).toBe(`${base}/#${route}`);
}

/** The viewer's local time as the explorer writes it (the browser runs in Asia/Kolkata, UTC+05:30). */
function viewerTime(iso: string): string {
  const d = new Date(Date.parse(iso) + VIEWER_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  return `${date} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC+05:30`;
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

interface Validator { moniker: string; operator: string; power: number; tokens: string; active: boolean }
interface Block { hash: string; header: { height: number; time: string; proposer: string } }
interface TxView { hash: string; height: number; tx: { sender: string; fee: string } }

describe("the explorer in a browser", () => {
  it("the chain at a glance: height, block interval, validators, and new blocks as they come", async () => {
    await visit("/", /^Chain opl-test-1$/);
    const [v] = (await rpc<{ items: Validator[] }>("staking_getValidators", { status: "all" })).items;
    expect(await rows("validators")).toEqual([[v.moniker, v.operator, String(v.power), open(v.tokens), "active"]]);
    const shown = Number(await page.locator("#stat-height").innerText());
    expect(shown).toBeGreaterThanOrEqual(econ.ids.inference); // the scenario's blocks are there
    // The interval is the mean over the listed blocks, from their header times. Read in one go: live blocks
    // may change the list and the figure at any moment, never in the middle of a script run in the page.
    const listed = await page.evaluate<{ heights: number[]; times: string[]; interval: string }>(`(() => {
      const rows = [...document.querySelectorAll('main table[aria-label="latest blocks"] tbody tr')];
      return {
        heights: rows.map((r) => Number(r.cells[0].innerText)),
        times: rows.map((r) => r.cells[1].innerText),
        interval: document.getElementById("stat-interval").innerText,
      };
    })()`);
    expect(listed.heights).toHaveLength(10);
    const [newest, oldest] = [listed.heights[0], listed.heights[9]];
    const [bNew, bOld] = await Promise.all([newest, oldest].map((height) => rpc<Block>("chain_getBlock", { height })));
    const meanMs = Math.round((Date.parse(bNew.header.time) - Date.parse(bOld.header.time)) / (newest - oldest));
    expect(listed.interval).toBe(`${meanMs / 1000} s`);
    expect(listed.times[0]).toBe(viewerTime(bNew.header.time));
    await screenshot("chain");
    // Live: the node goes on making blocks (200 ms); the page adds them without a reload.
    await expect.poll(() => page.locator("#stat-live").innerText(), { timeout: 10_000 }).toBe("live");
    await expect.poll(async () => Number(await page.locator("#stat-height").innerText()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(shown + 2);
    const heights = (await rows("latest blocks")).map((r) => Number(r[0]));
    const top = heights[0];
    expect(top).toBeGreaterThan(newest);
    // No block missed between the page's first read and the subscription, none twice.
    expect(heights).toEqual(Array.from({ length: 10 }, (_, i) => top - i));
    await follow(`/block/${top}`, `Block ${top}`);
  });

  it("a block: header, and its transactions with results and events, linked to the tx", async () => {
    const recorded = await rpc<TxView>("tx_get", { hash: econ.txs.record });
    const b = await rpc<Block>("chain_getBlock", { height: recorded.height });
    await visit(`/block/${recorded.height}`, `Block ${recorded.height}`);
    expect(await field("Hash")).toBe(b.hash);
    expect(await field("Time")).toBe(viewerTime(b.header.time));
    const [v] = (await rpc<{ items: Validator[] }>("staking_getValidators", { status: "all" })).items;
    expect(await field("Proposer")).toBe(`${v.moniker} ${b.header.proposer}`);
    const [tx] = await rows("transactions");
    expect(tx.slice(0, 6)).toEqual(["0", expect.stringMatching(/^[0-9a-f]{10}…[0-9a-f]{6}$/), "record_inference", econ.alice.bech32, open(recorded.tx.fee), "OK"]);
    // The record's event: the split in OPEN, the inference and model linked.
    expect(tx[6]).toContain(`price: ${open(100n * 10n ** 18n)}`);
    expect(tx[6]).toContain(`treasury: ${open(10n * 10n ** 18n)}`);
    await screenshot("block");
    await follow(`/tx/${econ.txs.record}`, "Transaction");
  });

  it("a block's txs a page at a time, and no page fetches more than a page of a block's txs", async () => {
    // chain_getBlock requests the pages make: a block may hold 20,000 txs, more than one answer carries.
    const asked: Record<string, unknown>[] = [];
    const onRequest = (r: { postData(): string | null }) => {
      const body: unknown = JSON.parse(r.postData() ?? "null");
      for (const c of Array.isArray(body) ? body : [body]) {
        const call = c as { method?: string; params?: Record<string, unknown> } | null;
        if (call?.method === "chain_getBlock") asked.push(call.params ?? {});
      }
    };
    page.on("request", onRequest);
    try {
      // Several transfers sent at once: most land in one block (200 ms blocks). One base unit each: the
      // account page (checked at phone width below) must fit "0.000000000000000001 OPEN".
      const bytes = Array.from({ length: 8 }, () => signMsg(econ.chain, econ.bob, { type: "transfer", to: econ.alice.address, amount: 1n }));
      const hashes: string[] = [];
      for (const b of bytes) hashes.push(await submitTx(econ.chain, b));
      const heights: number[] = [];
      for (const hash of hashes) heights.push((await includedTx(econ.chain, hash)).height);
      const count = (h: number) => heights.filter((x) => x === h).length;
      const height = [...heights].sort((a, b) => count(b) - count(a))[0];
      const full = await rpc<{ numTxs: number; txs: { hash: string }[] }>("chain_getBlock", { height, txs: "full" });
      expect(full.txs.length).toBeGreaterThanOrEqual(2);
      // From the second tx on: the count is the block's, the table starts at index 1, a link leads back.
      await visit(`/block/${height}/txs/1`, `Block ${height}`);
      expect(await field("Transactions")).toBe(String(full.numTxs));
      expect((await rows("transactions")).map((r) => r[0])).toEqual(full.txs.slice(1).map((_, i) => String(i + 1)));
      expect(await page.locator("main p.pager").innerText()).toBe(`← earlier txs txs 1–${full.numTxs - 1} of ${full.numTxs}`);
      await follow(`/block/${height}/txs/0`, `Block ${height}`);
      expect((await rows("transactions")).map((r) => r[0])).toEqual(full.txs.map((_, i) => String(i)));
      await visit("/", /^Chain/);
      await page.locator("main table[aria-label=\"latest blocks\"] tbody tr").first().waitFor();
      await visit(`/search/${height}`, `Search: ${height}`);
    } finally {
      page.off("request", onRequest);
    }
    expect(asked.length).toBeGreaterThan(10);
    // Every block read is a header and a count (txs: "none") or one page of txs.
    for (const p of asked) expect(p.txs === "none" || (p.txLimit as number) <= BLOCK_TX_PAGE, JSON.stringify(p)).toBe(true);
  });

  it("a tx: where, who, what it asked, what it did; its ids link to their pages", async () => {
    const t = await rpc<TxView & { tx: { nonce: number } }>("tx_get", { hash: econ.txs.record });
    await visit(`/tx/${econ.txs.record}`, "Transaction");
    expect(await field("Hash")).toBe(t.hash);
    expect(await field("Result")).toBe("OK");
    expect(await field("Block")).toBe(String(t.height));
    expect(await field("Sender")).toBe(econ.alice.bech32);
    expect(await field("Nonce")).toBe(String(t.tx.nonce));
    expect(await field("Fee")).toBe(open(t.tx.fee));
    expect(await field("inferenceId")).toBe(String(econ.ids.inference));
    expect(await field("weights")).toContain("ppm: 50%");
    await screenshot("tx");
    await follow(`/inference/${econ.ids.inference}`, `Inference ${econ.ids.inference}`);
  });

  it("a tx in no block: the page says it waits in the mempool, and why", async () => {
    // Alice's nonce after next: it waits for the one before it, which never comes.
    const gap = signMsg(econ.chain, econ.alice, { type: "transfer", to: econ.bob.address, amount: 1n }, { nonce: econ.alice.nonce + 1 });
    const hash = await submitTx(econ.chain, gap);
    const status = await rpc<{ status: string; reason: string; message: string }>("tx_getStatus", { hash });
    expect(status).toMatchObject({ status: "pending", reason: "NONCE_GAP" });
    await visit(`/tx/${hash}`, "Transaction not in a block");
    expect(await field("Status")).toBe("pending");
    expect(await field("Reason")).toBe("NONCE_GAP");
    expect(await field("Details")).toBe(status.message);
  });

  it("an inference's attribution trail: payer, price, and the split to treasury, owner and each contribution", async () => {
    const p = await rpc<{
      price: string;
      treasury: string;
      owner: { address: string; amount: string };
      contributions: { weight: number; contributionId: number; contributor: string; amount: string }[];
      weights: { contributionId: number; datanetId: number; version: number }[];
    }>("attribution_getPayouts", { inferenceId: econ.ids.inference });
    const through = (w: { contributionId: number; datanetId: number; version: number }) =>
      (w.contributionId === 0 ? ` (through datanet ${w.datanetId} v${w.version})` : "");
    const inf = await rpc<{ payer: string; price: string; modelId: number }>("attribution_getInference", { id: econ.ids.inference });
    await visit(`/inference/${econ.ids.inference}`, `Inference ${econ.ids.inference}`);
    expect(await field("Payer")).toBe(inf.payer);
    expect(await field("Price")).toBe("100 OPEN");
    expect(await field("Status")).toBe("recorded");
    expect(await rows("split")).toEqual([
      ["Treasury", "—", open(p.treasury)],
      ["Model owner", p.owner.address, open(p.owner.amount)],
      ...p.contributions.map((c) => [`contribution ${c.contributionId}${through(p.weights[c.weight])}`, c.contributor, open(c.amount)]),
      ["Total", "", "100 OPEN"],
    ]);
    expect(await page.locator("#split-check").innerText()).toBe("✓ The split adds up to the price.");
    expect(await rows("weights")).toEqual([
      [`contribution ${econ.ids.contributions[0]}`, "50%"],
      [`datanet ${econ.ids.datanet} version 1 (every contribution)`, "50%"],
    ]);
    await screenshot("inference");
    await follow(`/contribution/${econ.ids.contributions[0]}`, `Contribution ${econ.ids.contributions[0]}`);
  });

  it("a contribution: its proof checked in the browser, its earnings and the inferences that paid it", async () => {
    const id = econ.ids.contributions[0];
    const earned = await rpc<{ total: string }>("attribution_getEarnings", { contributionId: id });
    await visit(`/contribution/${id}`, `Contribution ${id}`);
    // What is checked, and only that: the proof links the contribution to the root this node reports.
    expect(await page.locator("#proof-verdict").innerText()).toBe(
      "✓ Linked to the version root this node reports: SHA-256 of 1 sibling leads to the version's root " +
      "(hashed in this browser; the root is not checked against a signed header)",
    );
    expect(await field("Earned")).toBe(open(earned.total));
    expect(await field("Earned")).toBe("45 OPEN"); // 30 directly, 15 as half of version 1's share
    expect(await rows("inferences")).toEqual([
      [String(econ.ids.inference), String(econ.ids.model), econ.chain.faucet.bech32, "45 OPEN", expect.any(String)],
    ]);
    await screenshot("contribution");
    await follow(`/datanet/${econ.ids.datanet}`, `Datanet ${econ.ids.datanet}: corpus`);
  });

  it("a tampered proof (the node's answer rewritten on the way) is shown as NOT verified", async () => {
    const id = econ.ids.contributions[2];
    await page.route(`${base}/`, async (route) => {
      const body = route.request().postData() ?? "";
      if (route.request().method() !== "POST" || !body.includes("datanet_proveMembership")) return route.continue();
      const answer = await route.fetch();
      const json = (await answer.json()) as { result: { proof: string[]; verified?: boolean } };
      json.result.proof[0] = json.result.proof[0].replace(/^./, (c) => (c === "0" ? "1" : "0"));
      json.result.verified = true; // a node's say-so counts for nothing
      await route.fulfill({ response: answer, json });
    });
    try {
      await visit(`/contribution/${id}`, `Contribution ${id}`);
      expect(await page.locator("#proof-verdict").innerText()).toBe("✗ NOT linked to the version root this node reports: the proof leads to another root than the version's");
      await screenshot("contribution-tampered");
    } finally {
      await page.unroute(`${base}/`);
    }
    // The rejected one is in no version, and says so.
    await visit(`/contribution/${econ.ids.contributions[1]}`, `Contribution ${econ.ids.contributions[1]}`);
    expect(await field("Status")).toBe("rejected");
    expect(await page.locator("main section").first().innerText()).toContain("Only accepted contributions are in versions");
  });

  it("datanets: the list, and one datanet's versions with roots and contributions with status", async () => {
    await visit("/datanets", "Datanets");
    expect(await rows("datanets")).toEqual([[String(econ.ids.datanet), "corpus", econ.alice.bech32, "3", "2", "1"]]);
    await follow(`/datanet/${econ.ids.datanet}`, `Datanet ${econ.ids.datanet}: corpus`);
    const v = await rpc<{ root: string; count: number; height: number }>("datanet_getVersion", { datanetId: econ.ids.datanet, version: 1 });
    expect(await rows("versions")).toEqual([["1", String(v.count), v.root, String(v.height)]]);
    expect(await field("Contribution stake")).toBe("1 OPEN");
    expect(await field("Review fee")).toBe("0.1 OPEN");
    expect((await rows("contributions")).map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      [String(econ.ids.contributions[0]), econ.bob.bech32, "accepted", "0"],
      [String(econ.ids.contributions[1]), econ.bob.bech32, "rejected", "—"],
      [String(econ.ids.contributions[2]), econ.bob.bech32, "accepted", "1"],
    ]);
    await screenshot("datanet");
    await follow(`/contribution/${econ.ids.contributions[2]}`, `Contribution ${econ.ids.contributions[2]}`);
    expect(await page.locator("#proof-verdict").innerText()).toMatch(/^✓ Linked to the version root this node reports: /);
  });

  it("models: the list, and an adapter's lineage graph (adapter -> parent -> datanet version), each box a link", async () => {
    await visit("/models", "Models");
    expect(await rows("models")).toEqual([
      [String(econ.ids.model), "corpus-llm", "model", "—", econ.alice.bech32, "100 OPEN"],
      [String(econ.ids.adapter), "corpus-llm-lora", "adapter", String(econ.ids.model), econ.bob.bech32, "0 OPEN"],
    ]);
    await follow(`/model/${econ.ids.adapter}`, `Model ${econ.ids.adapter}: corpus-llm-lora`);
    const graph = page.locator("main svg.lineage");
    const boxes = await graph.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(boxes).toEqual([`#/model/${econ.ids.adapter}`, `#/model/${econ.ids.model}`, `#/datanet/${econ.ids.datanet}`]);
    expect(await graph.locator("line").count()).toBe(2); // adapter -> model -> version
    await screenshot("model");
    await graph.locator(`a[href="#/model/${econ.ids.model}"]`).click();
    await heading(`Model ${econ.ids.model}: corpus-llm`);
    expect(await field("Price per inference")).toBe("100 OPEN");
    const earned = await rpc<{ total: string }>("attribution_getEarnings", { modelId: econ.ids.model });
    expect(await field("Earned")).toBe(open(earned.total));
    expect(await rows("inferences")).toEqual([[String(econ.ids.inference), econ.chain.faucet.bech32, "100 OPEN", "recorded"]]);
  });

  it("an account: balance, nonce, stakes, rewards by source, and its txs", async () => {
    const a = await rpc<{ balance: string; nonce: number }>("account_get", { address: econ.bob.bech32 });
    const r = await rpc<{ accrued: string; claimed: string }>("attribution_getRewards", { address: econ.bob.bech32 });
    await visit(`/account/${econ.bob.bech32}`, "Account");
    expect(await field("Balance")).toBe(open(a.balance));
    expect(await field("Nonce")).toBe(String(a.nonce));
    expect(await field("Rewards to claim")).toBe(open(r.accrued));
    expect(await field("Rewards claimed")).toBe("0 OPEN");
    expect(await rows("rewards")).toEqual([
      [`contribution ${econ.ids.contributions[0]}`, "45 OPEN"],
      [`contribution ${econ.ids.contributions[2]}`, "15 OPEN"],
    ]);
    const search = await rpc<{ items: { kind: string; hash: string }[] }>("tx_search", { address: econ.bob.bech32, order: "desc", limit: 20 });
    const txs = search.items.filter((i) => i.kind === "tx");
    const shown = await rows("transactions");
    expect(shown).toHaveLength(txs.length);
    expect(shown.map((row) => row[1])).toEqual(txs.map((t) => `${t.hash.slice(0, 10)}…${t.hash.slice(-6)}`));
    await screenshot("account");
    // Alice's stake with the genesis validator.
    await visit(`/account/${econ.alice.bech32}`, "Account");
    expect(await rows("stakes")).toEqual([["test", econ.chain.faucet.bech32, "10 OPEN"]]);
    expect(await field("Staked")).toBe("10 OPEN");
    await follow(`/account/${econ.chain.faucet.bech32}`, "Account");
  });

  it("the search box finds heights, hashes, addresses and datanet/model/inference ids", async () => {
    await visit("/", /^Chain/);
    const search = async (text: string) => {
      await page.fill("#search-input", text);
      await page.press("#search-input", "Enter");
    };
    const recorded = await rpc<TxView>("tx_get", { hash: econ.txs.record });
    await search(econ.txs.record);
    await heading("Transaction");
    expect(await field("Hash")).toBe(econ.txs.record);
    const b = await rpc<Block>("chain_getBlock", { height: recorded.height });
    await search(b.hash);
    await heading(`Block ${recorded.height}`);
    await search(econ.bob.bech32);
    await heading("Account");
    expect(await field("Address")).toBe(econ.bob.bech32);
    await search(`datanet ${econ.ids.datanet}`);
    await heading(`Datanet ${econ.ids.datanet}: corpus`);
    await search(`model ${econ.ids.adapter}`);
    await heading(`Model ${econ.ids.adapter}: corpus-llm-lora`);
    await search(`inference ${econ.ids.inference}`);
    await heading(`Inference ${econ.ids.inference}`);
    // A bare number names a height and every record with that id: each is listed.
    await search("2");
    await heading("Search: 2");
    const found = await page.locator("main li a").evaluateAll((as) => as.map((a) => a.textContent));
    expect(found).toEqual(["block 2", "contribution 2", "model 2"]);
    await search("not a thing");
    await heading("Search");
    expect(await page.locator("main [role=alert]").innerText()).toContain("is not a height, a hash");
    await search("f".repeat(64));
    await heading("Search");
    // The page before was a "Search" page too, its heading the same: wait for this search's answer, or the
    // last one's paragraph may be read (seen once in CI).
    const none = `No transaction or block has the hash ${"f".repeat(64)}.`;
    await page.locator("main p", { hasText: none }).waitFor({ timeout: 15_000 });
    expect(await page.locator("main p").first().innerText()).toBe(none);
    expect(await page.locator("main [role=alert]").count()).toBe(0);
  });

  it("every page fits a phone (375 px wide): nothing scrolls sideways", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    try {
      const pages: [string, string | RegExp, string][] = [
        ["/", /^Chain/, "chain"],
        [`/block/${(await rpc<TxView>("tx_get", { hash: econ.txs.record })).height}`, /^Block/, "block"],
        [`/tx/${econ.txs.record}`, "Transaction", "tx"],
        [`/account/${econ.bob.bech32}`, "Account", "account"],
        ["/datanets", "Datanets", "datanets"],
        [`/datanet/${econ.ids.datanet}`, /^Datanet/, "datanet"],
        [`/contribution/${econ.ids.contributions[0]}`, /^Contribution/, "contribution"],
        ["/models", "Models", "models"],
        [`/model/${econ.ids.adapter}`, /^Model/, "model"],
        [`/inference/${econ.ids.inference}`, /^Inference/, "inference"],
      ];
      for (const [route, title, name] of pages) {
        await visit(route, title);
        const width = await page.evaluate<{ scroll: number; client: number }>(
          "({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })",
        );
        expect(width.scroll, `${route} is ${width.scroll} px wide`).toBeLessThanOrEqual(width.client);
        await screenshot(`${name}-phone`);
      }
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
  });
});
