import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_PROPOSALS_PER_ROUND, MAX_ROUNDS_AHEAD } from "../../consensus/engine/engine.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { equalBytes } from "../../crypto/bytes.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { type Block, blockHash, encodeBlock, type Validator } from "../../proto/block.ts";
import {
  PRECOMMIT,
  PREVOTE,
  type Proposal,
  proposalSignBytes,
  type SignedVote,
  type VoteType,
  voteSignBytes,
} from "../../proto/consensus.ts";
import type { ReceivedConsensusMessage } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The consensus driver's inbox, without processes or a network: a real driver (real WAL and guarded signer
 * on a temp dir, MemoryApp as the application) and three peer validators whose messages the test signs.
 * Validator A (power 13 of 43) proposes round 0; A, B and C together hold more than 2/3 without us.
 */
const CHAIN_ID = "opl-max-1"; // MemoryApp's
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Peer {
  secret: Uint8Array;
  validator: Validator;
}

function peer(power: number): Peer {
  const secret = generateSecretKey();
  const pubkey = publicKeyOf(secret);
  return { secret, validator: { address: addressFromPublicKey(pubkey), pubkey, power } };
}

function vote(p: Peer, type: VoteType, round: number, block: Block | null, height = 1): ReceivedConsensusMessage {
  const v = {
    type,
    height,
    round,
    blockHash: block === null ? new Uint8Array(0) : blockHash(block.header),
    timeMs: 1_700_000_000_000,
    validatorAddress: p.validator.address,
  };
  const sv: SignedVote = { vote: v, signature: signPortable(voteSignBytes(CHAIN_ID, v), p.secret) };
  return { type: "vote", vote: sv };
}

function proposal(p: Peer, block: Block, round = 0): ReceivedConsensusMessage {
  const prop: Proposal = {
    height: block.header.height,
    round,
    polRound: -1,
    blockHash: blockHash(block.header),
    timeMs: block.header.timeMs,
    proposerAddress: p.validator.address,
  };
  const signature = signPortable(proposalSignBytes(CHAIN_ID, prop), p.secret);
  return { type: "proposal", proposal: { proposal: prop, signature }, blockBytes: encodeBlock(block) };
}

async function setup() {
  const t = tempDir("opl-inbox-");
  cleanups.push(t.cleanup);
  createValidatorKey(join(t.dir, "key.json"));
  const key = loadValidatorKey(join(t.dir, "key.json"));
  const [a, b, c] = [peer(13), peer(10), peer(10)];
  const self = { address: key.address, pubkey: key.publicKey, power: 10 };
  const app = new MemoryApp([a.validator, self, b.validator, c.validator]);
  const fatal: unknown[] = [];
  const driver = new ConsensusDriver({
    app,
    signer: new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log")),
    walPath: join(t.dir, "cs.wal"),
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: 0,
    logger: pino({ level: "silent" }),
    onFatal: (err) => fatal.push(err),
  });
  await driver.start();
  cleanups.push(() => driver.stop());
  await waitFor("height 1 started", () => (driver.height === 1 ? true : undefined), 5000);
  const block = smallBlock({ height: 1, proposerAddress: a.validator.address });
  return { app, driver, a, b, c, block, fatal };
}

describe("the consensus driver's inbox", () => {
  it("decides a block whose proposal arrives after the precommits that decide it", async () => {
    const { app, driver, a, b, c, block, fatal } = await setup();
    for (const p of [a, b, c]) expect(driver.receive(vote(p, PREVOTE, 0, block))).toBe("taken");
    for (const p of [a, b, c]) expect(driver.receive(vote(p, PRECOMMIT, 0, block))).toBe("taken");
    // A quorum of precommits for a block this node has not seen: nothing can be committed yet.
    await new Promise((r) => setImmediate(r));
    expect(app.committed).toHaveLength(0);

    expect(driver.receive(proposal(a, block))).toBe("taken");
    await waitFor("height 1 committed", () => (app.committed.length === 1 ? true : undefined), 10_000);
    expect(equalBytes(blockHash(app.committed[0].header), blockHash(block.header))).toBe(true);
    const commit = app.info().lastCommit;
    const signers = commit?.signatures.map((s) => s.validatorAddress) ?? [];
    for (const p of [a, b, c]) expect(signers.some((s) => equalBytes(s, p.validator.address))).toBe(true);
    // A precommit the last commit carries, sent again: of no use, so charged to its sender as such (it was
    // "taken" on every copy).
    await waitFor("height 2 started", () => (driver.height === 2 ? true : undefined), 10_000);
    expect(driver.receive(vote(a, PRECOMMIT, 0, block))).toBe("dropped");
    expect(fatal).toEqual([]);
  });

  it("takes a proposal past the round's cap when a quorum backs it: an equivocator's junk sent first cannot push it out", async () => {
    const { app, driver, a, b, c, block, fatal } = await setup();
    // The proposer sends this node MAX_PROPOSALS_PER_ROUND other blocks for the round first.
    for (let i = 0; i < MAX_PROPOSALS_PER_ROUND; i++) {
      const junk = smallBlock({ height: 1, proposerAddress: a.validator.address, timeMs: 1_700_000_000_001 + i });
      expect(driver.receive(proposal(a, junk))).toBe("taken");
    }
    // The rest of the network had the real one: a quorum prevotes and precommits it.
    for (const p of [a, b, c]) driver.receive(vote(p, PREVOTE, 0, block));
    for (const p of [a, b, c]) driver.receive(vote(p, PRECOMMIT, 0, block));
    // A further block no quorum backs is still dropped past the cap.
    const unbacked = smallBlock({ height: 1, proposerAddress: a.validator.address, timeMs: 1_700_000_000_100 });
    expect(driver.receive(proposal(a, unbacked))).toBe("dropped");
    // The backed one's proposal is taken past the cap once the votes are counted (they wait on the driver's
    // queue; a copy dropped meanwhile changes nothing). It was always dropped undecoded: the node could not
    // decide the height until block sync fetched the block from a peer.
    await waitFor("the backed proposal taken", () => (driver.receive(proposal(a, block)) === "taken" ? true : undefined), 10_000);
    await waitFor("height 1 committed", () => (app.committed.length === 1 ? true : undefined), 10_000);
    expect(equalBytes(blockHash(app.committed[0].header), blockHash(block.header))).toBe(true);
    expect(fatal).toEqual([]);
  });

  it("drops a flood of votes for rounds past its window unverified, and still decides the height", async () => {
    const { app, driver, a, b, c, block, fatal } = await setup();
    const forged = (m: ReceivedConsensusMessage): ReceivedConsensusMessage =>
      m.type === "vote" ? { type: "vote", vote: { ...m.vote, signature: new Uint8Array(64) } } : m;
    // Bad signatures far ahead: dropped before any check (a verify each would be the flood's price to us).
    let dropped = 0;
    for (let round = MAX_ROUNDS_AHEAD + 1; round < MAX_ROUNDS_AHEAD + 2001; round++) {
      if (driver.receive(forged(vote(b, PREVOTE, round, null))) === "dropped") dropped++;
      if (driver.receive(forged(vote(b, PRECOMMIT, round, null, 2))) === "dropped") dropped++;
    }
    expect(dropped).toBe(4000);
    // Far heights, too.
    expect(driver.receive(forged(vote(b, PREVOTE, 0, null, 50)))).toBe("dropped");
    // Within the window a bad signature is checked, and refused as misbehaviour.
    expect(() => driver.receive(forged(vote(b, PREVOTE, 1, null)))).toThrow();

    expect(driver.receive(proposal(a, block))).toBe("taken");
    for (const p of [a, b, c]) driver.receive(vote(p, PREVOTE, 0, block));
    for (const p of [a, b, c]) driver.receive(vote(p, PRECOMMIT, 0, block));
    await waitFor("height 1 committed", () => (app.committed.length === 1 ? true : undefined), 10_000);
    expect(driver.round).toBe(0);
    expect(fatal).toEqual([]);
  });
});
