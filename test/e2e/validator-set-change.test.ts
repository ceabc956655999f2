import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { STEP_PRECOMMIT, STEP_PROPOSE } from "../../consensus/signer-guard.ts";
import { compareBytes, toBase64, toHex } from "../../crypto/bytes.ts";
import { homePaths } from "../../node/config.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { type Validator, validatorsHash } from "../../proto/block.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { createValidatorMsg } from "../helpers/validator-msg.ts";
import { TestNetwork } from "../helpers/network.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The validator set changes on a live network of real processes: a full node that joined later becomes a
 * validator through `create_validator` (the set grows from 3 to 4 at exactly inclusion height + 2, and the
 * new validator signs and proposes), a stake triples a genesis validator's power (the set changes again at
 * inclusion + 2), the new validator is killed and the other three (5/6 of the power) go on, and a node
 * started from scratch afterwards block-syncs from genesis across both changes to the same chain.
 */
const tmp = tempDir("opl-e2e-vset-");
let net: TestNetwork | undefined;
let joiner: NodeProcess | undefined;
let fresh: NodeProcess | undefined;
afterAll(async () => {
  await fresh?.kill();
  await joiner?.kill();
  await net?.stop();
  tmp.cleanup();
});

const FEE = DEFAULT_PARAMS.minFee;

interface Included {
  hash: string;
  height: number;
  result: { code: number; log: string; events: { type: string; attributes: Record<string, string> }[] };
}

interface BlockView {
  hash: string;
  header: { height: number; validatorsHash: string; nextValidatorsHash: string; proposer: string };
  commit: { signatures: { validator: string }[] };
}

interface ValidatorView {
  operator: string;
  consensusAddress: string;
  tokens: string;
  power: number;
  active: boolean;
}

interface Status {
  latestHeight: number;
  catchingUp: boolean;
}

/** The header hash of a set, in the staking module's order: power descending, then consensus address. */
function setHash(set: Validator[]): string {
  const sorted = [...set].sort((a, b) => b.power - a.power || compareBytes(a.address, b.address));
  return toHex(validatorsHash(sorted));
}

describe("validator set changes on a live network", () => {
  it("a joined node becomes a validator, a stake changes power, a fresh node syncs across both", async () => {
    const t0 = Date.now();
    const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    net = await TestNetwork.start({ validators: 3, blockIntervalMs: 200, chainId: "opl-vset-1" });
    const n = net;
    n.startWatchdog({ stallMs: 20_000 });
    const rpc0 = n.nodes[0].rpc;
    const genesis = readGenesisFile(homePaths(n.nodes[0].home).genesis);
    const reduction = genesis.params.staking.powerReduction;
    const genesisSet: Validator[] = genesis.validators.map((v) => ({
      address: v.address,
      pubkey: v.pubkey,
      power: Number(v.selfStake / reduction),
    }));
    // Power is bonded stake / powerReduction (0.001 OPEN): 1,000 OPEN is 1,000,000 units.
    const powerOf = (open: bigint) => Number((open * ONE_OPEN) / reduction);
    const P1000 = powerOf(1000n);
    const P3000 = powerOf(3000n);
    expect(genesisSet.map((v) => v.power)).toEqual([P1000, P1000, P1000]);

    const block = (height: number, client: RpcClient = rpc0) => client.call<BlockView>("chain_getBlock", { height });
    async function send(a: TestAccount, msg: TxMsg): Promise<Included> {
      const built = signTx({ chainId: n.chainId, senderPubkey: a.publicKey, nonce: a.nonce, fee: FEE, msg }, (m) =>
        a.sign(m),
      );
      await rpc0.call("tx_submit", { tx: toBase64(built.bytes) });
      a.nonce++;
      const hash = toHex(built.hash);
      const included = await waitFor(`tx ${msg.type}`, async () => {
        try {
          return await rpc0.call<Included>("tx_get", { hash });
        } catch (err) {
          if (err instanceof RpcError) return undefined;
          throw err;
        }
      }, 30_000);
      expect(included.result.code, `${msg.type}: ${included.result.log}`).toBe(0);
      return included;
    }

    // 1. A full node with its own (not yet bonded) validator key joins and follows the chain.
    const joinerHome = join(tmp.dir, "joiner");
    await createJoiningHome(joinerHome, {
      genesisFrom: n.nodes[0].home,
      peers: n.nodes.map((x) => x.p2p),
      blockIntervalMs: 200,
    });
    joiner = await NodeProcess.start(joinerHome);
    const joinerRpc = new RpcClient(joiner.url);
    const joinerKey = loadValidatorKey(homePaths(joinerHome).validatorKey);
    const joinerAddress = encodeAddress(joinerKey.address);
    const target = Math.max(...(await n.heights()).map((h) => h ?? 0)) + 3;
    await waitFor("the joining node follows the chain", async () => {
      const s = await joinerRpc.call<Status>("node_getStatus");
      return s.latestHeight >= target && !s.catchingUp ? s : undefined;
    }, 30_000);
    for (let h = 1; h <= target; h++) expect((await block(h, joinerRpc)).hash).toBe((await block(h)).hash);

    // 2. Its operator (account0) bonds 1,000 OPEN with the node's consensus key: the set grows at H + 2.
    const operator = n.account("account0");
    const created = await send(
      operator,
      createValidatorMsg({
        chainId: n.chainId,
        operator: operator.address,
        moniker: "joiner",
        selfStake: 1000n * ONE_OPEN,
        key: joinerKey,
      }),
    );
    const H = created.height;
    const joinerEntry = { address: joinerKey.address, pubkey: joinerKey.publicKey, power: P1000 };
    const set4: Validator[] = [...genesisSet, joinerEntry];
    const [hash3, hash4] = [setHash(genesisSet), setHash(set4)];
    await n.waitForHeight(H + 14, { nodes: [0, 1, 2] });
    const b1 = await block(1);
    expect(b1.header.validatorsHash).toBe(hash3); // the expected-hash computation matches the chain's
    const [bH, bH1, bH2] = [await block(H), await block(H + 1), await block(H + 2)];
    expect(bH.header.validatorsHash).toBe(hash3);
    expect(bH.header.nextValidatorsHash).toBe(hash3);
    expect(bH1.header.validatorsHash).toBe(hash3);
    expect(bH1.header.nextValidatorsHash).toBe(hash4);
    expect(bH2.header.validatorsHash).toBe(hash4);
    expect(bH2.header.validatorsHash).not.toBe(bH1.header.validatorsHash);
    for (let h = 1; h <= H + 1; h++) {
      const b = await block(h);
      expect(b.commit.signatures.map((s) => s.validator), `height ${h}`).not.toContain(joinerAddress);
      expect(b.header.proposer, `height ${h}`).not.toBe(joinerAddress);
    }
    const signedBy: number[] = [];
    const proposedBy: number[] = [];
    for (let h = H + 2; h <= H + 14; h++) {
      const b = await block(h);
      expect(b.header.validatorsHash, `height ${h}`).toBe(hash4);
      if (b.commit.signatures.some((s) => s.validator === joinerAddress)) signedBy.push(h);
      if (b.header.proposer === joinerAddress) proposedBy.push(h);
    }
    console.log(`(${elapsed()}) create_validator at H=${H}; joiner signed ${signedBy.join(",")}; proposed ${proposedBy.join(",")}`);
    // A stored commit holds the precommits its node had counted when it decided (a quorum, so often 3 of 4):
    // the new validator's signature is in some of them; its own signer's audit log shows it signed them all.
    expect(signedBy.length).toBeGreaterThanOrEqual(1);
    expect(proposedBy.length).toBeGreaterThanOrEqual(1); // others accept blocks the new validator proposes
    const audit = readFileSync(homePaths(joinerHome).signerAudit, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { height: number; round: number; step: number });
    expect(Math.min(...audit.map((a) => a.height))).toBeGreaterThanOrEqual(H + 2); // nothing before its set
    const precommitted = new Set(audit.filter((a) => a.step === STEP_PRECOMMIT).map((a) => a.height));
    const proposed = new Set(audit.filter((a) => a.step === STEP_PROPOSE).map((a) => a.height));
    console.log(`joiner's first signature at height ${Math.min(...audit.map((a) => a.height))}`);
    for (let h = H + 4; h <= H + 14; h++) expect(precommitted.has(h), `joiner precommit at ${h}`).toBe(true);
    for (const h of proposedBy) expect(proposed.has(h), `joiner proposal at ${h}`).toBe(true);
    const active = await rpc0.call<{ items: ValidatorView[] }>("staking_getValidators", { status: "active" });
    expect(active.items).toHaveLength(4);
    expect(active.items.find((v) => v.consensusAddress === joinerAddress)).toMatchObject({
      operator: operator.bech32,
      power: P1000,
      active: true,
    });

    // 3. account1 stakes 2,000 OPEN to validator 0: its power triples, and the set changes at S + 2.
    const node0Operator = encodeAddress(genesis.validators[0].operator);
    const staked = await send(n.account("account1"), {
      type: "stake",
      validator: genesis.validators[0].operator,
      amount: 2000n * ONE_OPEN,
    });
    const S = staked.height;
    const powered = await rpc0.call<ValidatorView>("staking_getValidator", { address: node0Operator });
    expect(powered).toMatchObject({ power: P3000, tokens: String(3000n * ONE_OPEN), active: true });
    const set4b = set4.map((v, i) => (i === 0 ? { ...v, power: P3000 } : v));
    const hash4b = setHash(set4b);
    await n.waitForHeight(S + 6, { nodes: [0, 1, 2] });
    const [bS, bS1, bS2] = [await block(S), await block(S + 1), await block(S + 2)];
    expect(bS.header.validatorsHash).toBe(hash4);
    expect(bS1.header.validatorsHash).toBe(hash4);
    expect(bS1.header.nextValidatorsHash).toBe(hash4b);
    expect(bS2.header.validatorsHash).toBe(hash4b);
    const joinerSignedAfterStake = [];
    for (let h = S + 2; h <= S + 6; h++) {
      const b = await block(h);
      expect(b.header.validatorsHash, `height ${h}`).toBe(hash4b);
      if (b.commit.signatures.some((s) => s.validator === joinerAddress)) joinerSignedAfterStake.push(h);
    }
    console.log(`(${elapsed()}) stake at S=${S}; joiner signed ${joinerSignedAfterStake.join(",")} under the new powers`);
    const active2 = await rpc0.call<{ items: ValidatorView[] }>("staking_getValidators", { status: "active" });
    expect(active2.items.map((v) => v.power).sort((a, b) => b - a)).toEqual([P3000, P1000, P1000, P1000]);

    // 4. The new validator dies (SIGKILL): the other three hold 5,000 of 6,000 > 2/3, so blocks go on.
    await joiner.kill("SIGKILL");
    joiner = undefined;
    const killedAt = Math.max(...(await n.heights()).map((h) => h ?? 0));
    const killedMs = Date.now();
    await n.waitForHeight(killedAt + 15, { nodes: [0, 1, 2], timeoutMs: 60_000 });
    const withoutMs = Date.now() - killedMs;
    for (let h = killedAt + 2; h <= killedAt + 15; h++) {
      const b = await block(h);
      expect(b.header.validatorsHash, `height ${h}`).toBe(hash4b); // still in the set, just offline
      expect(b.commit.signatures.map((s) => s.validator), `height ${h}`).not.toContain(joinerAddress);
    }
    console.log(`(${elapsed()}) joiner killed at ${killedAt}; 15 blocks without it took ${withoutMs} ms`);

    // 5. A brand-new node block-syncs from genesis across both set changes to the tip.
    const freshHome = join(tmp.dir, "fresh");
    await createJoiningHome(freshHome, {
      genesisFrom: n.nodes[0].home,
      peers: n.nodes.map((x) => x.p2p),
      blockIntervalMs: 200,
    });
    const tipAtStart = (await rpc0.call<Status>("node_getStatus")).latestHeight;
    const syncStart = Date.now();
    fresh = await NodeProcess.start(freshHome);
    const freshRpc = new RpcClient(fresh.url);
    const syncDone = () =>
      fresh!.logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.msg === "block sync: done, consensus resumes");
    // Near the tip a node no longer counts as catching up while its last sync run is still finishing: wait
    // for that run's closing line too.
    const synced = await waitFor("the fresh node at the tip, its block sync done", async () => {
      const [mine, theirs] = await Promise.all([
        freshRpc.call<Status>("node_getStatus"),
        rpc0.call<Status>("node_getStatus"),
      ]);
      const atTip =
        mine.latestHeight >= tipAtStart && theirs.latestHeight - mine.latestHeight <= 2 && !mine.catchingUp;
      return atTip && syncDone().length > 0 ? mine : undefined;
    }, 60_000);
    const syncMs = Date.now() - syncStart;
    const done = syncDone();
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect((done[0].height as number) - (done[0].blocks as number)).toBe(0); // it started from genesis
    expect(done[0].height as number).toBeGreaterThan(S + 2);
    console.log(
      `fresh node: tip ${tipAtStart} at start, synced to ${synced.latestHeight} in ${syncMs} ms ` +
      `(first sync run: ${done[0].blocks} blocks, ${done[0].blocksPerSec} blocks/s)`,
    );
    const checkUpTo = synced.latestHeight;
    for (let from = 1; from <= checkUpTo; from += 100) {
      const heights = Array.from({ length: Math.min(100, checkUpTo - from + 1) }, (_, k) => from + k);
      const batch = heights.map((height) => ({ method: "chain_getBlock", params: { height } }));
      const [mine, theirs] = await Promise.all([freshRpc.batch(batch), rpc0.batch(batch)]);
      for (const [k, height] of heights.entries()) {
        const [a, b] = [mine[k].result as BlockView, theirs[k].result as BlockView];
        expect(a.hash, `height ${height}`).toBe(b.hash);
        expect(a.header, `height ${height}`).toEqual(b.header);
      }
    }
    const freshActive = await freshRpc.call<{ items: ValidatorView[] }>("staking_getValidators", { status: "active" });
    expect(freshActive.items.map((v) => v.power).sort((a, b) => b - a)).toEqual([P3000, P1000, P1000, P1000]);

    // 6. Every live node holds the same headers, and the chain never stalled.
    n.assertHealthy();
    const checked = await n.checkIdenticalHeaders();
    expect(checked).toBeGreaterThanOrEqual(checkUpTo);
    console.log(`identical headers on node0..2 up to ${checked}; total ${elapsed()}`);
  }, 120_000);
});
