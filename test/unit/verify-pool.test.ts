import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../../crypto/ed25519.ts";
import { MIN_RECORDS_PER_MESSAGE, unheardOf, VerifyPool } from "../../crypto/verify-pool.ts";
import { RECORD_HEAD, recordAt, writeRecord } from "../../crypto/verify-records.js";
import { TestAccount } from "../helpers/accounts.ts";
import { holdThreadUntil } from "../helpers/held-thread.ts";

/** `n` signed 32-byte digests from a few signers; every `badEvery`-th signature has a flipped bit. */
function signed(n: number, badEvery = 0) {
  const signers = [new TestAccount(), new TestAccount(), new TestAccount()];
  return Array.from({ length: n }, (_, i) => {
    const who = signers[i % signers.length];
    const message = randomBytes(32);
    const signature = Uint8Array.from(who.sign(message));
    const bad = badEvery > 0 && i % badEvery === badEvery - 1;
    if (bad) signature[5] ^= 1;
    return { message, signature, publicKey: who.publicKey, valid: !bad };
  });
}

describe("VerifyPool", () => {
  let pool: VerifyPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("sends a batch smaller than the per-message minimum to one worker in one message", async () => {
    pool = new VerifyPool(2);
    const items = signed(MIN_RECORDS_PER_MESSAGE - 1, 7);
    // Asked in the same tick, as a relayed batch's admissions are.
    const p = pool;
    const answers = await Promise.all(items.map((x) => p.verify(x.message, x.signature, x.publicKey)));
    expect(answers).toEqual(items.map((x) => x.valid));
    expect(pool.stats).toEqual({ messages: 1, records: items.length });
  });

  it("splits a large batch across every worker, each message at least the minimum", async () => {
    pool = new VerifyPool(2);
    const items = signed(3 * MIN_RECORDS_PER_MESSAGE, 5);
    const p = pool;
    const answers = await Promise.all(items.map((x) => p.verify(x.message, x.signature, x.publicKey)));
    expect(answers).toEqual(items.map((x) => x.valid));
    expect(pool.stats).toEqual({ messages: 2, records: items.length });
  });

  it("gathers signatures asked one per turn of the event loop into one message", async () => {
    // As RPC calls past their work slice resume, one per turn of the loop (rpc/pacer.ts): each used to be a
    // message of its own, a worker woken for one signature.
    pool = new VerifyPool(2);
    const p = pool;
    const items = signed(20, 4);
    const answers: Promise<boolean>[] = [];
    for (const x of items) {
      answers.push(p.verify(x.message, x.signature, x.publicKey));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(answers)).toEqual(items.map((x) => x.valid));
    expect(p.stats.records).toBe(items.length);
    // One, unless the machine is slow enough to split the 20 turns (each split takes a 2 ms stall of this
    // thread, on 2 cores shared with the pool's own workers); one message each was the fault.
    expect(p.stats.messages).toBeLessThanOrEqual(10);
  });

  it("knows the checks a worker did while this thread was held, before it hears their answers", async () => {
    pool = new VerifyPool(1);
    const p = pool;
    const items = signed(3 * MIN_RECORDS_PER_MESSAGE, 9);
    const answers = Promise.all(items.map((x) => p.verify(x.message, x.signature, x.publicKey)));
    await new Promise((resolve) => setImmediate(resolve)); // the batch is sent to the worker
    expect(p.pending + p.checkedUnheard).toBe(items.length);
    holdThreadUntil(() => p.checkedUnheard === items.length, "the worker's checks");
    // Nothing waits for the worker any more: the node's metrics and its admission queue say so.
    expect(p.pending).toBe(0);
    expect(await answers).toEqual(items.map((x) => x.valid));
    expect(p.checkedUnheard).toBe(0);
    expect(p.pending).toBe(0);
  });

  it("counts unheard checks rightly across the counters' wrap at 2^32", () => {
    expect(unheardOf(5, 2)).toBe(3);
    expect(unheardOf(2, 2)).toBe(0);
    const heard = 2 ** 31 - 2; // a worker's 2^31st check is where an Int32 count wraps
    expect(unheardOf((heard + 5) | 0, heard)).toBe(5);
    expect(unheardOf((2 ** 32 + 3) | 0, (2 ** 32 - 4) | 0)).toBe(7);
  });

  it("writes and reads back the workers' records: kind, length, ed25519's signature and key, then the message", () => {
    expect(RECORD_HEAD).toBe(1 + 4 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH);
    const records = new Uint8Array(1024);
    const view = new DataView(records.buffer);
    const [signature, key, prefix, body, digest] = [64, 32, 3, 50, 32].map((n) => Uint8Array.from(randomBytes(n)));
    const second = writeRecord(records, view, 0, body, prefix, signature, key);
    const end = writeRecord(records, view, second, digest, undefined, signature, key);
    const a = recordAt(records, view, 0);
    expect(a).toMatchObject({ signedSha256: true, signature, publicKey: key, end: second });
    expect(a.message).toEqual(Uint8Array.from([...prefix, ...body]));
    expect(recordAt(records, view, second)).toMatchObject({ signedSha256: false, message: digest, end });
  });

  it("answers false for malformed input without sending it to a worker", async () => {
    pool = new VerifyPool(1);
    const [x] = signed(1);
    expect(await pool.verify(x.message.subarray(1), x.signature, x.publicKey)).toBe(false);
    expect(await pool.verify(x.message, x.signature.subarray(1), x.publicKey)).toBe(false);
    expect(pool.stats).toEqual({ messages: 0, records: 0 });
  });

  it("copies each request as it is asked: the caller's arrays are not read again, nor held, until the answer", async () => {
    pool = new VerifyPool(1);
    const p = pool;
    const who = new TestAccount();
    const prefix = new Uint8Array([7, 0]);
    const body = randomBytes(90);
    const signature = Uint8Array.from(who.sign(sha256(prefix, body)));
    const key = Uint8Array.from(who.publicKey);
    const valid = p.verifyDigestOf(prefix, body, signature, key);
    const plain = signed(1)[0];
    const message = Uint8Array.from(plain.message);
    const plainValid = p.verify(message, plain.signature, plain.publicKey);
    // Reused by the caller before the gathered message goes (GATHER_MS later): a tx's bytes once decoded and
    // dropped, a scratch array written again. The answers are those of what was asked.
    body.fill(0);
    signature.fill(0);
    key.fill(0);
    message.fill(0);
    expect(await valid).toBe(true);
    expect(await plainValid).toBe(true);
    // And a forged one stays refused when the caller's array changes into the valid bytes after the call.
    const forged = Uint8Array.from(plain.signature);
    forged[3] ^= 1;
    const refused = p.verify(plain.message, forged, plain.publicKey);
    forged[3] ^= 1;
    expect(await refused).toBe(false);
    expect(p.stats.messages).toBe(2);
  });

  it("verifies signatures over sha256(prefix || body), the digest made by the worker, as the sign bytes of txs", async () => {
    pool = new VerifyPool(2);
    const p = pool;
    const who = new TestAccount();
    const prefix = new Uint8Array([1, 2, 3, 0]);
    const items = Array.from({ length: 10 }, (_, i) => {
      const body = randomBytes(40 + i * 13); // records of different lengths in one message
      const signature = Uint8Array.from(who.sign(sha256(prefix, body)));
      const bad = i % 3 === 2;
      if (bad) body[7] ^= 1; // the worker's digest no longer matches what was signed
      return { body, signature, valid: !bad };
    });
    // Mixed in one message with signatures over given 32-byte messages.
    const plain = signed(5, 2);
    const answers = await Promise.all([
      ...items.map((x) => p.verifyDigestOf(prefix, x.body, x.signature, who.publicKey)),
      ...plain.map((x) => p.verify(x.message, x.signature, x.publicKey)),
    ]);
    expect(answers).toEqual([...items.map((x) => x.valid), ...plain.map((x) => x.valid)]);
    expect(p.stats.messages).toBe(1);
  });

  it("answers digest-of signatures rightly when a worker dies with them (checked on this thread instead)", async () => {
    const lost: Error[] = [];
    pool = new VerifyPool(1, (err) => lost.push(err));
    const p = pool;
    const who = new TestAccount();
    const prefix = new Uint8Array([9, 0]);
    // More than one pass of checks here (MIN_RECORDS_PER_MESSAGE a turn), records of different lengths.
    const items = Array.from({ length: 3 * MIN_RECORDS_PER_MESSAGE + 5 }, (_, i) => {
      const body = randomBytes(30 + (i % 70));
      const signature = Uint8Array.from(who.sign(sha256(prefix, body)));
      if (i % 4 === 3) signature[0] ^= 1;
      return { body, signature, valid: i % 4 !== 3 };
    });
    const worker = (p as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0];
    const answers = Promise.all(items.map((x) => p.verifyDigestOf(prefix, x.body, x.signature, who.publicKey)));
    await worker.terminate(); // the message sent this turn dies with it
    expect(await answers).toEqual(items.map((x) => x.valid));
    expect(lost).toHaveLength(1);
  });

  it("checks a dead worker's several messages here at most MIN_RECORDS_PER_MESSAGE a turn, all together", async () => {
    pool = new VerifyPool(1);
    const p = pool as unknown as {
      flush(): void;
      onWorkerGone(index: number, worker: unknown, err: Error): void;
      workers: { terminate(): Promise<number> }[];
    };
    const who = new TestAccount();
    const prefix = new Uint8Array([5, 0]);
    let turn = 0;
    const perTurn: number[] = [];
    const answers: Promise<boolean>[] = [];
    const items: { valid: boolean }[] = [];
    // Six messages at the one worker (each flushed as it fills), none answered yet when it is declared dead.
    for (let m = 0; m < 6; m++) {
      for (let k = 0; k < MIN_RECORDS_PER_MESSAGE; k++) {
        const body = randomBytes(20 + ((m * 7 + k) % 90));
        const signature = Uint8Array.from(who.sign(sha256(prefix, body)));
        const valid = (m + k) % 5 !== 0;
        if (!valid) signature[9] ^= 1;
        items.push({ valid });
        answers.push(pool.verifyDigestOf(prefix, body, signature, who.publicKey).then((ok) => {
          perTurn[turn] = (perTurn[turn] ?? 0) + 1;
          return ok;
        }));
      }
      p.flush();
    }
    expect(pool.stats.messages).toBe(6);
    const dead = p.workers[0];
    // One loop turn per tick: the checks here go on in the turns after the first (setImmediate each).
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    p.onWorkerGone(0, dead, new Error("gone"));
    const got = await Promise.all(answers);
    ticking = false;
    await dead.terminate(); // its late answers find no job: they were answered here
    expect(got).toEqual(items.map((x) => x.valid));
    expect(Math.max(...perTurn.filter((n) => n !== undefined))).toBeLessThanOrEqual(MIN_RECORDS_PER_MESSAGE);
  });
});
