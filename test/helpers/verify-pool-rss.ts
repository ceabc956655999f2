import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { VerifyPool } from "../../crypto/verify-pool.ts";

/**
 * Child-process script for test/integration/verify-pool-memory.test.ts: prints, as JSON, how much resident
 * memory a verify pool of `workers` workers adds to a fresh process once each worker has verified (the
 * workers' own cost, measured where nothing else in the process grows).
 */
const workers = Number(process.argv[2] ?? 2);
const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const secret = new Uint8Array(32).fill(7);
const message = new Uint8Array(32).fill(1);
const signature = signPortable(message, secret);
const publicKey = publicKeyOf(secret);

await settle();
const before = rssMb();
const pool = new VerifyPool(workers);
// Enough requests in one tick that every worker gets a share.
const requests = Array.from({ length: 64 * workers }, () => pool.verify(message, signature, publicKey));
const results = await Promise.all(requests);
await settle();
const after = rssMb();
await pool.close();
process.stdout.write(JSON.stringify({ allValid: results.every(Boolean), perWorkerMb: (after - before) / workers }));
