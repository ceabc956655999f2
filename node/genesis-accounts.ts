import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, rmSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { once } from "node:events";
import { basename, join } from "node:path";
import { ADDRESS_LENGTH, decodeAddress, encodeAddress } from "../crypto/address.ts";
import { compareBytes, toHex, u64be } from "../crypto/bytes.ts";
import { sha256 } from "../crypto/hash.ts";
import { fundedAccountWrites, type Genesis, type GenesisAccountsFile, genesisWrites } from "../state/genesis.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { homePaths } from "./config.ts";
import { editGenesis, readGenesisJson } from "./genesis-edit.ts";
import { GenesisError } from "./genesis-file.ts";
import { StartStopped } from "./run-node.ts";

/**
 * Genesis accounts in a file of their own (genesis.json's `accountsFile`): one JSON object a line,
 * {"address":"opl1...","balance":"<base units>"}, in strictly ascending order of the address's 20 bytes (so a
 * repeated address is refused by comparing neighbours, in constant memory). genesis.json names it by sha256
 * and count; the node reads it in a stream only when it writes genesis into an empty database, in batches.
 */

/** The file's name in a home, next to genesis.json. */
export const ACCOUNTS_FILE_NAME = "genesis-accounts.jsonl";
/** Accounts written to the database in one batch while genesis is streamed in (bounds its memory). */
export const GENESIS_ACCOUNTS_BATCH = 10_000;
/** Progress is reported at most this often (ms) during long work. */
const PROGRESS_EVERY_MS = 2000;

export type Progress = (done: number, total: number) => void;

/** One account line, checked: the address decodes, the balance is a positive decimal of base units. */
function parseLine(line: string, n: number): { address: Uint8Array; balance: bigint } {
  let entry: { address?: unknown; balance?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    throw new GenesisError(`accounts file line ${n}: not a JSON object`);
  }
  let address: Uint8Array;
  try {
    address = decodeAddress(String(entry.address));
  } catch (err) {
    throw new GenesisError(`accounts file line ${n}: address: ${(err as Error).message}`);
  }
  if (typeof entry.balance !== "string" || !/^[1-9][0-9]{0,77}$/.test(entry.balance)) {
    throw new GenesisError(`accounts file line ${n}: balance must be a positive decimal string of base units`);
  }
  return { address, balance: BigInt(entry.balance) };
}

/** The file's lines, read in chunks (never the whole file at once), with the sha256 of its bytes. */
async function* lines(path: string, hash: ReturnType<typeof createHash>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    const text = rest + (chunk as Buffer).toString("utf8");
    const parts = text.split("\n");
    rest = parts.pop() as string;
    for (const line of parts) if (line.length > 0) yield line;
  }
  if (rest.length > 0) yield rest;
}

function throttled(progress: Progress | undefined): Progress {
  let last = Date.now();
  return (done, total) => {
    if (progress === undefined || (Date.now() - last < PROGRESS_EVERY_MS && done < total)) return;
    last = Date.now();
    progress(done, total);
  };
}

/**
 * Reads an accounts file through, checking every line and the order, and hands each batch of accounts to
 * `batch`. Returns its sha256 (hex), count and total balance. `inline` are genesis.json's own accounts: one
 * also in the file is refused (it would be credited twice).
 */
export async function readAccountsFile(
  path: string,
  opts: {
    inline?: readonly Uint8Array[];
    batch?: (accounts: { address: Uint8Array; balance: bigint }[]) => Promise<void>;
    progress?: Progress;
    expectedCount?: number;
  } = {},
): Promise<{ sha256: string; count: number; total: bigint }> {
  if (!existsSync(path)) throw new GenesisError(`the genesis accounts file ${path} does not exist`);
  const inline = new Set((opts.inline ?? []).map(toHex));
  const hash = createHash("sha256");
  const report = throttled(opts.progress);
  let previous: Uint8Array | undefined;
  let count = 0;
  let total = 0n;
  let pending: { address: Uint8Array; balance: bigint }[] = [];
  for await (const line of lines(path, hash)) {
    count++;
    const account = parseLine(line, count);
    if (previous !== undefined && compareBytes(account.address, previous) <= 0) {
      throw new GenesisError(
        `accounts file line ${count}: ${encodeAddress(account.address)} is ` +
        `${compareBytes(account.address, previous) === 0 ? "there twice" : "out of order"} (accounts must be in ` +
        "strictly ascending order of their address bytes)",
      );
    }
    if (inline.has(toHex(account.address))) {
      throw new GenesisError(`accounts file line ${count}: ${encodeAddress(account.address)} is in genesis.json too`);
    }
    previous = account.address;
    total += account.balance;
    if (opts.batch !== undefined) {
      pending.push(account);
      if (pending.length >= GENESIS_ACCOUNTS_BATCH) {
        await opts.batch(pending);
        pending = [];
      }
    }
    report(count, opts.expectedCount ?? 0);
  }
  if (opts.batch !== undefined && pending.length > 0) await opts.batch(pending);
  return { sha256: hash.digest("hex"), count, total };
}

/** The sha256 (hex) of a file's bytes, read in a stream. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Writes a genesis whose accounts are in a file into an empty database: first the file is checked to be the
 * one genesis names (its sha256: nothing is written from another file), then its accounts are written in
 * batches, then the rest of genesis over them (the supply, validators paid from their operators' balances,
 * the validator set) in the batch that records the chain identity. Memory stays bounded by a batch.
 */
export async function writeStreamedGenesis(
  db: ChainDb,
  genesis: Genesis,
  identity: string,
  progress?: Progress,
  opts: { signal?: AbortSignal; onTreeBuild?: () => void } = {},
): Promise<void> {
  try {
    await writeStreamed(db, genesis, identity, progress, opts);
  } catch (err) {
    // Only the stop itself (the signal's abort) is a clean stop: an error of the write's own (the wrong file,
    // an I/O error) raised after a stop was asked for stays that error.
    const signal = opts.signal;
    const stopped = signal?.aborted === true && (err === signal.reason || (err instanceof Error && err.name === "AbortError"));
    if (!stopped) throw err;
    throw new StartStopped(
      "stopped before the genesis was finished: it is not taken as written, and the next start writes it again " +
      "from the start",
      { cause: err },
    );
  }
}

/**
 * writeStreamedGenesis's work, checking `signal` between bounded batches (GENESIS_ACCOUNTS_BATCH accounts,
 * STREAM_BUILD_BATCH_RECORDS tree records): a stop asked for mid-way is honoured within one batch.
 */
async function writeStreamed(
  db: ChainDb,
  genesis: Genesis,
  identity: string,
  progress: Progress | undefined,
  opts: { signal?: AbortSignal; onTreeBuild?: () => void },
): Promise<void> {
  const { signal } = opts;
  const file = genesis.accountsFile as GenesisAccountsFile;
  const path = file.location ?? file.path;
  const actual = await fileSha256(path);
  if (actual !== file.sha256) {
    throw new GenesisError(
      `the genesis accounts file ${path} has sha256 ${actual}, but genesis.json names ${file.sha256}: it is not ` +
      "this chain's accounts file (it was changed or replaced); use the file the genesis was made with",
    );
  }
  let written = 0;
  const report = throttled(progress);
  const { total, count, sha256: read } = await readAccountsFile(path, {
    inline: genesis.accounts.map((a) => a.address),
    expectedCount: file.count,
    batch: async (accounts) => {
      signal?.throwIfAborted();
      await db.writeGenesisPart(fundedAccountWrites(accounts));
      written += accounts.length;
      report(written, file.count);
    },
  });
  if (count !== file.count) {
    throw new GenesisError(`the genesis accounts file ${path} holds ${count} accounts, genesis.json says ${file.count}`);
  }
  // The bytes written are the bytes checked: a file changed between the check above and this read leaves the
  // genesis unfinished (its marker stays), and the next start writes it again from the start.
  if (read !== file.sha256) {
    throw new GenesisError(
      `the genesis accounts file ${path} changed while genesis was being written (sha256 ${read}, genesis.json ` +
      `names ${file.sha256}); start again with the file the genesis was made with`,
    );
  }
  const source = db.latestValues();
  let writes;
  try {
    writes = genesisWrites(genesis, { base: { get: (key) => source.read(key) }, supply: total });
  } finally {
    source.close();
  }
  opts.onTreeBuild?.();
  await db.finishStreamedGenesis(identity, writes, signal);
}

/** A deterministic address for generated account `i` of `count`: ascending in i, the rest from the seed. */
function generatedAddress(seed: string, i: number, count: number): Uint8Array {
  const address = new Uint8Array(ADDRESS_LENGTH);
  // The first 4 bytes spread i over the address space in order; 16 more are the seed's hash of i.
  new DataView(address.buffer).setUint32(0, Math.floor((i * 2 ** 32) / count));
  address.set(sha256(new TextEncoder().encode(seed), u64be(i)).subarray(0, ADDRESS_LENGTH - 4), 4);
  return address;
}

/**
 * Writes `count` accounts of `balance` base units each to `path`, in the file's order, without holding them:
 * a stream with back-pressure. Addresses are made from `seed` (no key is known for them: they are state to
 * measure and test with, as a chain of millions of holders has).
 */
export async function generateAccountsFile(
  path: string,
  opts: { count: number; balance: bigint; seed: string; inline?: readonly Uint8Array[]; progress?: Progress },
): Promise<{ sha256: string; count: number }> {
  if (!Number.isSafeInteger(opts.count) || opts.count < 1 || opts.count > 2 ** 32) {
    throw new GenesisError(`the number of accounts must be 1 to ${2 ** 32}, got ${opts.count}`);
  }
  if (opts.balance <= 0n) throw new GenesisError("the balance must be more than 0");
  const out = createWriteStream(path, { flags: "wx" });
  const hash = createHash("sha256");
  const report = throttled(opts.progress);
  const balance = opts.balance.toString();
  const inline = new Set((opts.inline ?? []).map(toHex));
  let chunk = "";
  for (let i = 0; i < opts.count; i++) {
    const address = generatedAddress(opts.seed, i, opts.count);
    if (inline.has(toHex(address))) throw new GenesisError(`generated account ${encodeAddress(address)} is in genesis.json`);
    chunk += `{"address":"${encodeAddress(address)}","balance":"${balance}"}\n`;
    if (chunk.length >= 1 << 20 || i === opts.count - 1) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
      report(i + 1, opts.count);
    }
  }
  out.end();
  await once(out, "finish");
  return { sha256: hash.digest("hex"), count: opts.count };
}

/**
 * Adds an accounts file to a home's genesis (never started): generated (`generate`) or checked and copied
 * from `from`. A genesis holds one accounts file; its accounts must not repeat genesis.json's own.
 */
export async function addAccountsFile(
  home: string,
  opts: { generate?: { count: number; balance: bigint; seed: string }; from?: string; progress?: Progress },
): Promise<GenesisAccountsFile> {
  const paths = homePaths(home);
  const path = join(home, ACCOUNTS_FILE_NAME);
  let made: { sha256: string; count: number };
  editGenesis(home, (g) => {
    if (g.accountsFile !== undefined) {
      throw new GenesisError(`${paths.genesis} already names an accounts file (${g.accountsFile.path}); a genesis has one`);
    }
    if (existsSync(path)) throw new GenesisError(`${path} exists already; move it away first`);
    return g;
  });
  const inline = readGenesisJson(paths.genesis).accounts.map((a) => decodeAddress(a.address));
  try {
    if (opts.generate !== undefined) {
      // Made in order and checked against genesis.json's own accounts as it is written: not read again.
      made = await generateAccountsFile(path, { ...opts.generate, inline, progress: opts.progress });
    } else if (opts.from !== undefined) {
      await copyFile(opts.from, path);
      made = await readAccountsFile(path, { inline, progress: opts.progress });
    } else {
      throw new GenesisError("give a number of accounts to generate, or a file to add");
    }
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
  const ref = { path: basename(path), sha256: made.sha256, count: made.count };
  editGenesis(home, (g) => ({ ...g, accountsFile: ref }));
  return ref;
}
