import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Application, ChainInfo, ValidationResult } from "../../consensus/application.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { type Block, blockHash, encodeBlock, type Validator } from "../../proto/block.ts";
import { type Proposal, proposalSignBytes } from "../../proto/consensus.ts";
import type { ReceivedProposal } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";
import { SLOW_TIMEOUTS } from "../helpers/memory-app.ts";

/**
 * An equivocating proposer signs many different proposals for its round. The engine keeps only a few per
 * round, so the driver must stop decoding (and hashing the bodies of) the blocks past that number when they
 * arrive, and report them as of no use (the network charges the sending peer for their bytes): before, the
 * block of each was decoded and checked first, and the per-round limit was applied only later, on the queue.
 */
const CHAIN_ID = "opl-max-1";
const proposerSecret = generateSecretKey();
const proposer: Validator = {
  address: addressFromPublicKey(publicKeyOf(proposerSecret)),
  pubkey: publicKeyOf(proposerSecret),
  power: 10,
};

class OneValidatorApp implements Application {
  info(): ChainInfo {
    const empty = new Uint8Array(0);
    return { chainId: CHAIN_ID, height: 0, lastBlockHash: empty, lastBlockTimeMs: 0, lastCommit: undefined };
  }

  validators(): Validator[] {
    return [proposer];
  }

  validatorSetSince(): number {
    return 1;
  }

  async propose(): Promise<Block> {
    throw new Error("not a validator here");
  }

  async validate(): Promise<ValidationResult> {
    return { valid: true };
  }

  async commit(): Promise<void> {}
}

function signed(block: Block, blockHashSigned = blockHash(block.header)): ReceivedProposal {
  const proposal: Proposal = {
    height: 1,
    round: 0,
    polRound: -1,
    blockHash: blockHashSigned,
    timeMs: block.header.timeMs,
    proposerAddress: proposer.address,
  };
  const signature = signPortable(proposalSignBytes(CHAIN_ID, proposal), proposerSecret);
  return { type: "proposal", proposal: { proposal, signature }, blockBytes: encodeBlock(block) };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("proposals per round, counted when they arrive", () => {
  it("past the engine's 4 proposals for a round, another from the proposer is dropped without decoding its block", () => {
    const tmp = tempDir("opl-equivocate-");
    cleanups.push(tmp.cleanup);
    createValidatorKey(join(tmp.dir, "key.json"));
    const driver = new ConsensusDriver({
      app: new OneValidatorApp(),
      signer: new GuardedSigner(loadValidatorKey(join(tmp.dir, "key.json")), join(tmp.dir, "signer.json"), join(tmp.dir, "audit.log")),
      walPath: join(tmp.dir, "cs.wal"),
      timeouts: SLOW_TIMEOUTS,
      commitTimeoutMs: 0,
      logger: pino({ level: "silent" }),
      onFatal: (err) => { throw err; },
    });
    const block = (i: number) =>
      smallBlock({ height: 1, timeMs: 1_700_000_000_000 + i, proposerAddress: proposer.address });
    const blocks = [1, 2, 3, 4].map(block);
    for (const b of blocks) expect(driver.receive(signed(b))).toBe("taken");

    // The fifth: signed by the proposer, with a block that is not the one it names. Decoding it would show
    // that (a PeerMisbehaviour); counted first, it is refused before its block is looked at.
    const fifth = signed(block(99), new Uint8Array(32).fill(5));
    expect(driver.receive(fifth)).toBe("dropped");
    expect(driver.receive(fifth)).toBe("dropped"); // and again when re-sent: not decoded, charged
    // One of the four already counted still comes in (a re-send after the engine could not take it yet).
    expect(driver.receive(signed(blocks[0]))).toBe("taken");
  });
});
