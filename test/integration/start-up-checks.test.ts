import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Level } from "level";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE } from "../../consensus/signer-guard.ts";
import { concatBytes, equalBytes, toBase64, toHex, u64be } from "../../crypto/bytes.ts";
import { decodeAddress } from "../../crypto/address.ts";
import { Keyring } from "../../node/keyring.ts";
import { RpcClient } from "../../rpc/client.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { homePaths, readConfig } from "../../node/config.ts";
import { OplNode } from "../../node/node.ts";
import { checkSignerState, SignerStateMissingError } from "../../node/signer-recovery.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { Wal, walHeight } from "../../node/wal.ts";
import { PREVOTE, type Vote, voteSignBytes } from "../../proto/consensus.ts";
import { openChain } from "../../node/chain-open.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { initHome } from "../../node/init.ts";
import { BUCKET, bucketKey, heightKey } from "../../state/store/buckets.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";
import { writeSecretFile } from "../../node/key-file.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { signerStateText } from "../../node/signer.ts";
import { shadowPathOf } from "../../node/signer-state-store.ts";

/** A lost signer state: the file and its shadow copy (node/signer-state-store.ts). */
function removeSignerState(path: string): void {
  rmSync(path);
  rmSync(shadowPathOf(path), { force: true });
}

/**
 * What a restarting node checks of its database before it signs anything, on a real node's real LevelDB:
 * lost blocks (a gap, or the database behind the signer state or the WAL), damaged state values, a damaged
 * LevelDB log. Each must stop the start with a message saying what is wrong and what to do.
 */
let chain: TestChain | undefined;
afterEach(async () => {
  chain?.removeHome();
  chain = undefined;
});

/** A chain of a few blocks, stopped; returns its home and latest height. */
async function stoppedChain(height = 5): Promise<{ home: string; latest: number }> {
  chain = await startTestChain({ blockIntervalMs: 50 });
  await chain.waitForHeight(height);
  await chain.node.stop();
  return { home: chain.home, latest: chain.node.app.info().height };
}

function restart(home: string, recoverSignerState = false): Promise<OplNode> {
  const config = readConfig(homePaths(home).config);
  return OplNode.start({ home, config, logger: pino({ level: "silent" }), recoverSignerState });
}

async function withRawDb(home: string, fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(homePaths(home).chainDb, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

const LATEST = bucketKey(BUCKET.meta, new TextEncoder().encode("latest"));

/** Makes the database end at `height`, as if LevelDB had dropped the batches of the blocks after it. */
async function dropBlocksAfter(home: string, height: number, latest: number): Promise<void> {
  await withRawDb(home, async (db) => {
    for (let h = height + 1; h <= latest; h++) {
      await db.del(heightKey(BUCKET.block, h));
      await db.del(heightKey(BUCKET.blockMeta, h));
    }
    await db.put(LATEST, u64be(height));
  });
}

describe("start-up refuses a database that lost blocks or holds damaged values", () => {
  it("a database behind the signer state (the WAL gone): 'the block store lost blocks H1..H2', never a double-sign refusal", async () => {
    const { home, latest } = await stoppedChain();
    const signed = (JSON.parse(readFileSync(homePaths(home).signerState, "utf8")) as { height: number }).height;
    // The WAL moved to the next height when the last block was committed: it would name the range itself
    // (the next test). Without it the signer state is what shows how far this node got.
    rmSync(homePaths(home).wal);
    await dropBlocksAfter(home, latest - 3, latest);
    const start = restart(home);
    await expect(start).rejects.toThrow(`the block store lost blocks ${latest - 2}..${signed - 1}`);
    await expect(start).rejects.toThrow(/signer state shows it signed at height .*restore .*chain\.db from a backup/s);
  });

  it("a database behind the WAL (signer state gone too) is lost blocks, named from the WAL", async () => {
    const { home, latest } = await stoppedChain();
    removeSignerState(homePaths(home).signerState);
    const wal = walHeight(homePaths(home).wal) as number; // the height in progress, or just decided
    await dropBlocksAfter(home, latest - 3, latest);
    await expect(restart(home)).rejects.toThrow(
      `the block store lost blocks ${latest - 2}..${wal - 1}: the consensus WAL is for height ${wal}`,
    );
  });

  it("a block missing below the latest height is a lost block", async () => {
    const { home } = await stoppedChain();
    await withRawDb(home, (db) => db.del(heightKey(BUCKET.blockMeta, 2)));
    await expect(restart(home)).rejects.toThrow(/the block store lost blocks 2\.\.2: .*has no block 2\.\.2/);
  });

  /** Flips the last byte of the first stored latest value whose state key starts with `prefix`. */
  async function flipStoredValue(home: string, prefix: Uint8Array): Promise<void> {
    await withRawDb(home, async (db) => {
      const start = bucketKey(BUCKET.stateLatest, prefix);
      for await (const [key, value] of db.iterator({ gte: start, limit: 1 })) {
        if (!equalBytes(key.subarray(0, start.byteLength), start)) break;
        value[value.length - 1] ^= 0x01;
        await db.put(key, value);
        return;
      }
      throw new Error(`no stored value under ${toHex(prefix)}`);
    });
  }

  it("a flipped byte in a stored state value that start-up reads (the validator set) stops the start", async () => {
    const { home } = await stoppedChain();
    // The validator sets are read at start-up (a prefix pass), each value checked against the state tree.
    await flipStoredValue(home, MODULE_PREFIX.stakingValidatorSet);
    await expect(restart(home)).rejects.toThrow(/a state value is damaged.*restore/s);
  });

  it("a validator set record LevelDB dropped stops the start, not a silently shorter list of sets", async () => {
    chain = await startTestChain({ blockIntervalMs: 50 });
    const operator = readGenesisFile(homePaths(chain.home).genesis).validators[0].operator;
    // A stake to the one validator changes its power: the staking module records a new set from S + 2.
    const { faucet, rpc } = chain;
    const stake = signTx(
      { chainId: chain.chainId, senderPubkey: faucet.publicKey, nonce: faucet.nonce, fee: DEFAULT_PARAMS.minFee,
        msg: { type: "stake", validator: operator, amount: 1000n * ONE_OPEN } },
      (m) => faucet.sign(m),
    );
    await rpc.call("tx_submit", { tx: toBase64(stake.bytes) });
    const included = await waitFor("the stake included", async () => {
      try {
        return await rpc.call<{ height: number; result: { code: number } }>("tx_get", { hash: toHex(stake.hash) });
      } catch {
        return undefined;
      }
    });
    expect(included.result.code).toBe(0);
    const from = included.height + 2;
    await chain.waitForHeight(from + 1);
    await chain.node.stop();
    const home = chain.home;
    // Whole, the database starts: the check takes a real set change as it is.
    const whole = await restart(home);
    expect(whole.app.info().height).toBeGreaterThan(from);
    await whole.stop();
    await withRawDb(home, async (db) => {
      const key = bucketKey(BUCKET.stateLatest, concatBytes(MODULE_PREFIX.stakingValidatorSet, u64be(from)));
      expect(await db.get(key)).toBeDefined();
      await db.del(key);
    });
    const outcome = await restart(home).then(
      async (node) => {
        await node.stop();
        return "started";
      },
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(new RegExp(`the validator set in force from height ${from} is missing from the database`));
  });

  it("a flipped byte in an account's stored value is refused before anything is served or executed on it", async () => {
    const { home, latest } = await stoppedChain();
    const faucet = new Keyring(home).get("validator");
    await flipStoredValue(home, accountKey(decodeAddress(faucet.address)));
    const fatal: Error[] = [];
    const config = readConfig(homePaths(home).config);
    const started = await OplNode.start({
      home,
      config,
      logger: pino({ level: "silent" }),
      onFatal: (err) => fatal.push(err as Error),
    }).then(
      (node) => node,
      (err: unknown) => err as Error,
    );
    if (started instanceof Error) {
      // A start that checks every value against the state root refuses it at once.
      expect(started.message).toMatch(/a state value is damaged.*restore/s);
      return;
    }
    // A start that reads values lazily refuses it on its first read: the RPC answers the damage, and a
    // block that would spend from the account stops the node on it, with nothing committed on top.
    try {
      const rpc = new RpcClient(started.rpc.url);
      await expect(rpc.call("account_get", { address: faucet.address })).rejects.toThrow(/a state value is damaged/);
      await expect(rpc.call("tx_submit", { tx: "00" })).rejects.toThrow();
      expect(started.app.info().height).toBeLessThanOrEqual(latest + 1);
      expect(fatal.every((e) => /a state value is damaged/.test(e.message))).toBe(true);
    } finally {
      await started.stop();
    }
  });

  it("a flipped byte in LevelDB's log file stops the start with a clear message, not a double-sign refusal", async () => {
    const { home, latest } = await stoppedChain(8);
    const dbDir = homePaths(home).chainDb;
    const log = readdirSync(dbDir).find((f) => f.endsWith(".log")) as string;
    const bytes = readFileSync(join(dbDir, log));
    expect(bytes.byteLength).toBeGreaterThan(1000); // this run's blocks are in the log
    bytes[Math.floor(bytes.byteLength * 0.6)] ^= 0x01;
    writeFileSync(join(dbDir, log), bytes);
    const error = await restart(home).then(
      async (node) => {
        await node.stop();
        return undefined;
      },
      (err: unknown) => err as Error,
    );
    // LevelDB drops what it cannot read on open; what the node sees depends on which batch the byte was in.
    expect(error, `restarted on a damaged log (latest was ${latest})`).toBeDefined();
    expect(error?.message).toMatch(/lost blocks|damaged/);
    expect(error?.message).not.toMatch(/refusing to sign|double/i);
  });
});

describe("a validator whose signer state is lost never double-signs", () => {
  it("refuses to start on a chain past height 0 without its signer state, naming the override and its risk", async () => {
    const { home } = await stoppedChain();
    removeSignerState(homePaths(home).signerState);
    rmSync(homePaths(home).wal);
    const start = restart(home);
    await expect(start).rejects.toThrow(SignerStateMissingError);
    await expect(start).rejects.toThrow(
      /priv_validator_state\.json is missing.*double-sign.*--unsafe-recover-signer-state/s,
    );
  });

  it("with the override, rebuilds the signer state from its own latest precommit in the block store, and goes on", async () => {
    const { home, latest } = await stoppedChain();
    removeSignerState(homePaths(home).signerState);
    rmSync(homePaths(home).wal);
    const node = await restart(home, true);
    try {
      const state = JSON.parse(readFileSync(homePaths(home).signerState, "utf8")) as Record<string, unknown>;
      const commit = node.app.info().lastCommit;
      const address = loadValidatorKey(homePaths(home).validatorKey).address;
      const own = commit?.signatures.find((s) => equalBytes(s.validatorAddress, address));
      expect(own).toBeDefined();
      const signature = toBase64(own?.signature as Uint8Array);
      expect(state).toMatchObject({ height: latest, round: commit?.round, step: STEP_PRECOMMIT, signature });
      await new Promise<void>((resolve) => {
        const off = node.app.onCommit((e) => {
          if (e.height >= latest + 2) {
            off();
            resolve();
          }
        });
      });
    } finally {
      await node.stop();
    }
  });

  it("with the override, takes what the WAL shows it was about to sign at the height in progress", async () => {
    const { home, latest } = await stoppedChain();
    const paths = homePaths(home);
    removeSignerState(paths.signerState);
    // Crashed right after the fsynced intent to prevote nil at round 0 of the next height (signed or not).
    const height = latest + 1;
    const timeMs = Date.now();
    const wal = Wal.open<unknown>(paths.wal);
    wal.reset([
      { t: "height", height },
      { t: "input", input: { type: "timeout", kind: "propose", height, round: 0 } },
      { t: "intent", step: STEP_PREVOTE, height, round: 0, value: null, timeMs },
    ]);
    wal.close();
    // The check the node runs before its signer loads, on the stopped home, so the rebuilt file is seen as is.
    const db = await ChainDb.open(paths.chainDb);
    try {
      const { info } = await openChain(db, readGenesisFile(paths.genesis));
      const log = pino({ level: "silent" });
      const key = loadValidatorKey(paths.validatorKey);
      const statePath = paths.signerState;
      await checkSignerState({ statePath, walPath: paths.wal, key, info, validators: [], db, recover: true, log });
    } finally {
      await db.close();
    }
    const state = JSON.parse(readFileSync(paths.signerState, "utf8")) as Record<string, unknown>;
    const address = loadValidatorKey(paths.validatorKey).address;
    const blockHash = new Uint8Array(0);
    const vote: Vote = { type: PREVOTE, height, round: 0, blockHash, timeMs, validatorAddress: address };
    const payload = toHex(voteSignBytes("opl-test-1", vote));
    expect(state).toMatchObject({ height, round: 0, step: STEP_PREVOTE, payload });
    // The replay asks for that very prevote, which the guard re-signs; the chain goes on.
    const node = await restart(home);
    try {
      await waitFor("the next blocks", () => (node.app.info().height >= height + 1 ? true : undefined));
    } finally {
      await node.stop();
    }
  });

  it("opl init writes a 'nothing signed yet' signer state, so a file found missing later was lost", async () => {
    const tmp = tempDir();
    try {
      await initHome({ home: tmp.dir, chainId: "opl-test-1", moniker: "m" });
      // Before any start: a home made by init is the only place a validator key may sign from scratch.
      const state = JSON.parse(readFileSync(homePaths(tmp.dir).signerState, "utf8")) as Record<string, unknown>;
      expect(state).toMatchObject({ height: 0, round: 0, step: 0, payload: "", signature: "" });
    } finally {
      tmp.cleanup();
    }
  });

  it("a validator key with no signer state is refused on an empty database too (a moved key, a wiped home)", async () => {
    const { home } = await stoppedChain();
    const paths = homePaths(home);
    rmSync(paths.chainDb, { recursive: true });
    removeSignerState(paths.signerState);
    rmSync(paths.wal);
    // After block sync it would sign at the tip, where its old home may have signed already.
    const start = restart(home);
    await expect(start).rejects.toThrow(SignerStateMissingError);
    await expect(start).rejects.toThrow(/priv_validator_state\.json is missing.*--unsafe-recover-signer-state/s);
  });

  it("a database moved away to sync again, signer state and WAL kept, starts (the guard refuses old heights)", async () => {
    const { home } = await stoppedChain();
    const paths = homePaths(home);
    const before = readFileSync(paths.signerState, "utf8");
    rmSync(paths.chainDb, { recursive: true });
    const node = await restart(home);
    try {
      expect(node.app.info().height).toBe(0);
    } finally {
      await node.stop();
    }
    // Nothing signed at the heights it re-joins at: they are at or below what it signed before.
    expect(readFileSync(paths.signerState, "utf8")).toBe(before);
  });

  it("a key that is not a validator and signed nothing (a full node) starts without a signer state", async () => {
    const { home } = await stoppedChain();
    removeSignerState(homePaths(home).signerState);
    rmSync(homePaths(home).wal);
    createValidatorKey(homePaths(home).validatorKey); // another key: not in the validator set
    const node = await restart(home);
    await node.stop();
  });
});

describe("a validator that restarts without its WAL, its signer state at the height in progress", () => {
  it("skips the rounds it signed in, never stops, and the chain goes on past that height", async () => {
    const { home } = await stoppedChain(4);
    const paths = homePaths(home);
    const db = chain?.node.app.info().height as number;
    rmSync(paths.wal); // as WalOldFormatError advises
    // As if stopped while waiting for others' precommits at the height in progress: the WAL knew what was
    // signed there, the signer state only its position.
    const payload = "ab".repeat(32); // some precommit's sign bytes, not known to the restarted engine
    const precommit = { height: db + 1, round: 0, step: STEP_PRECOMMIT, payload, signature: "" };
    writeSecretFile(paths.signerState, signerStateText(precommit));
    const fatal: unknown[] = [];
    const config = readConfig(paths.config);
    const node = await OplNode.start({ home, config, logger: pino({ level: "silent" }), onFatal: (e) => fatal.push(e) });
    try {
      await waitFor("the chain past the height in progress", () =>
        fatal.length > 0 || node.app.info().height >= db + 2 ? true : undefined,
      );
      expect(fatal.map(String)).toEqual([]);
      expect(node.app.info().height).toBeGreaterThanOrEqual(db + 2);
    } finally {
      await node.stop();
    }
  });
});
