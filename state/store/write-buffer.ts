/**
 * LevelDB's write buffer (its memtable): how many bytes of writes it gathers in memory before it writes them
 * out as a table file. Each table file lands in level 0, and a block's tx records and search-index keys are
 * spread over the whole key space (tx hashes), so every level-0 file overlaps all of level 1 and each
 * compaction into level 1 rewrites most of it. A larger buffer writes fewer, larger level-0 files: fewer of
 * those rewrites per committed tx.
 *
 * 16 MiB, measured with `npm run bench -- --txs 150000` (1 validator, unpaced), three settings alternated over
 * two rounds (2026-12-06): with LevelDB's own 4 MiB the node used 31.96-32.91 CPU seconds for the 150,000
 * transfers (2.82-2.87 verifies per tx; libuv's threads, LevelDB's, 0.22-0.29), committed 7,582-7,697 tx/s and
 * peaked at 337-340 MB; with 16 MiB 26.06-26.08 s (2.29-2.35; libuv 0.14), 9,152-9,371 tx/s and 370-377 MB.
 * Turning snappy compression off instead saved nothing measurable (29.92-31.76 s), and 32 MiB did no better
 * than 16 (alternated, two rounds in a slower hour: 5,275-5,934 tx/s and 2.42-2.47 verifies per tx against
 * 6,728-7,620 and 2.27-2.33).
 */
export const DEFAULT_WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * The write buffer of each node of a devnet of several validators, which share one machine: 8 MiB, half a lone
 * validator's. At 2,000 tx/s offered to 4 validators on the 2-core machine (`BENCH_WRITE_BUFFER_BYTES=N npm run
 * bench -- --validators 4 --rate 2000 --txs 120000`, six pairs alternated, 2026-12-07) LevelDB's libuv threads took
 * 0.14-0.20 verifies of CPU per tx with 8 MiB against 0.21-0.24 with LevelDB's own 4 MiB, lower in every pair
 * (mean -0.056), and the CPU per tx in all was lower in five pairs of six (1.49, 1.81, 1.86, 1.92, 2.21, 1.85
 * against 2.06, 2.21, 2.13, 2.19, 1.93, 1.94: the machine's drift is as large), all committed, with the nodes'
 * peak RSS 254-277 MB against 252-289 MB; 16 MiB saved more (libuv 0.10 in one run) but peaked at 288-299 MB,
 * at the 300 MB a node may take there. At 4,000 tx/s offered, 8 MiB peaked at 282-297 MB.
 * (In an earlier week, when a loaded node held more, 16 MiB had cost 309-329 MB against 282-288.)
 */
export const DEVNET_WRITE_BUFFER_BYTES = 8 * 1024 * 1024;

/** Bounds of [state] write_buffer_bytes: below 1 MiB LevelDB writes tiny files; above 256 MiB is a typo's memory. */
export const MIN_WRITE_BUFFER_BYTES = 1024 * 1024;
export const MAX_WRITE_BUFFER_BYTES = 256 * 1024 * 1024;
