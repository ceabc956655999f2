import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { MAX_CONFIGURED_VERIFY_WORKERS } from "../crypto/verify-pool.ts";
import { DEFAULT_P2P_LISTEN, DEFAULT_RPC_LISTEN } from "./defaults.ts";
import { ORIGIN_PATTERN } from "../rpc/cors.ts";
import { DEFAULT_TREE_CACHE_BYTES } from "../state/tree/node-cache.ts";
import { DEFAULT_KEEP_RECENT } from "../state/tree/pruner.ts";
import { DEFAULT_MEMPOOL_LIMITS } from "./mempool.ts";
import { DEFAULT_VALUE_CACHE_BYTES, MIN_VALUE_CACHE_BYTES } from "../state/store/value-cache.ts";
import {
  DEFAULT_WRITE_BUFFER_BYTES,
  DEVNET_WRITE_BUFFER_BYTES,
  MAX_WRITE_BUFFER_BYTES,
  MIN_WRITE_BUFFER_BYTES,
} from "../state/store/write-buffer.ts";
import { DEFAULT_WS_LIMITS, MIN_QUEUE_BYTES } from "../rpc/ws/limits.ts";

/** Files and folders of a home directory (`opl init --home DIR`). */
export function homePaths(home: string) {
  return {
    home,
    config: join(home, "config.toml"),
    genesis: join(home, "genesis.json"),
    nodeKey: join(home, "node_key.json"),
    validatorKey: join(home, "validator_key.json"),
    data: join(home, "data"),
    chainDb: join(home, "data", "chain.db"),
    /** Consensus write-ahead log of the current height. */
    wal: join(home, "data", "cs.wal"),
    /** The signer's last signed (height, round, step): the double-sign guard's memory. */
    signerState: join(home, "data", "priv_validator_state.json"),
    /** One JSON line per signature this validator ever released. */
    signerAudit: join(home, "data", "signer-audit.log"),
    log: join(home, "node.log"),
  };
}

const MIB = 1024 * 1024;

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, "must be HOST:PORT, e.g. 127.0.0.1:26657");

const configSchema = z.strictObject({
  moniker: z.string().min(1).max(64).default("node"),
  rpc: z
    .strictObject({
      listen: hostPort.default(DEFAULT_RPC_LISTEN),
      max_body_bytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      max_batch: z.number().int().min(1).max(10_000).default(1000),
      max_response_bytes: z
        .number()
        .int()
        .min(64 * 1024)
        .max(1024 * 1024 * 1024)
        .default(8 * 1024 * 1024),
      max_response_bytes_in_flight: z
        .number()
        .int()
        .min(64 * 1024)
        .default(64 * 1024 * 1024),
      max_request_work: z.number().int().min(100).default(100_000),
      max_concurrent_scans: z.number().int().min(1).max(64).default(2),
      max_connections: z.number().int().min(1).default(1024),
      max_connections_per_ip: z.number().int().min(1).default(32),
      header_timeout_ms: z.number().int().min(100).default(10_000),
      request_timeout_ms: z.number().int().min(100).default(30_000),
      idle_timeout_ms: z.number().int().min(100).default(30_000),
      /**
       * Origins whose browser pages may call the node (rpc/cors.ts); empty: no CORS headers at all. Lowercased
       * here: browsers send the scheme and host in lowercase, and the match is exact.
       */
      cors_allowed_origins: z
        .array(z.string().toLowerCase().regex(ORIGIN_PATTERN, "must be \"*\" or an origin such as https://app.example:8443"))
        .max(100)
        .default([]),
    })
    .refine((r) => r.max_response_bytes <= r.max_response_bytes_in_flight, {
      message: "max_response_bytes must not exceed max_response_bytes_in_flight (one full answer must fit)",
      path: ["max_response_bytes"],
    })
    .refine((r) => r.header_timeout_ms <= r.request_timeout_ms, {
      message: "header_timeout_ms must not exceed request_timeout_ms (the header is part of the request)",
      path: ["header_timeout_ms"],
    })
    .prefault({}),
  p2p: z
    .strictObject({
      listen: z.string().default(DEFAULT_P2P_LISTEN),
      persistent_peers: z.array(z.string()).default([]),
      /** Relay transactions received from peers to other peers; needed only when validators are not all peers. */
      relay_peer_txs: z.boolean().default(false),
    })
    .prefault({}),
  consensus: z
    .strictObject({
      block_interval_ms: z.number().int().min(10).max(60_000).default(1000),
    })
    .prefault({}),
  mempool: z
    .strictObject({
      max_txs: z.number().int().min(1).default(DEFAULT_MEMPOOL_LIMITS.maxTxs),
      max_bytes: z
        .number()
        .int()
        .min(1024)
        .default(DEFAULT_MEMPOOL_LIMITS.maxBytes),
      max_txs_per_sender: z.number().int().min(1).default(DEFAULT_MEMPOOL_LIMITS.maxPerSender),
      max_work_blocks: z.number().int().min(1).max(1000).default(DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks),
      ttl_blocks: z.number().int().min(1).default(DEFAULT_MEMPOOL_LIMITS.ttlBlocks),
      ttl_seconds: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_MEMPOOL_LIMITS.ttlMs / 1000),
    })
    .prefault({}),
  state: z
    .strictObject({
      cache_bytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(DEFAULT_TREE_CACHE_BYTES),
      keep_recent: z.number().int().min(0).default(DEFAULT_KEEP_RECENT),
      value_cache_bytes: z.number().int().min(MIN_VALUE_CACHE_BYTES).default(DEFAULT_VALUE_CACHE_BYTES),
      write_buffer_bytes: z
        .number()
        .int()
        .min(MIN_WRITE_BUFFER_BYTES)
        .max(MAX_WRITE_BUFFER_BYTES)
        .default(DEFAULT_WRITE_BUFFER_BYTES),
    })
    .prefault({}),
  ws: z
    .strictObject({
      max_connections: z.number().int().min(1).default(DEFAULT_WS_LIMITS.maxConnections),
      max_connections_per_ip: z.number().int().min(1).default(DEFAULT_WS_LIMITS.maxConnectionsPerIp),
      max_subscriptions_per_connection: z
        .number()
        .int()
        .min(1)
        .default(DEFAULT_WS_LIMITS.maxSubscriptionsPerConnection),
      max_message_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_WS_LIMITS.maxMessageBytes),
      queue_bytes: z.number().int().min(MIN_QUEUE_BYTES).default(DEFAULT_WS_LIMITS.queueBytes),
      queue_items: z.number().int().min(2).default(DEFAULT_WS_LIMITS.queueItems),
      max_queued_bytes_total: z.number().int().min(MIN_QUEUE_BYTES).default(DEFAULT_WS_LIMITS.maxQueuedBytesTotal),
    })
    .refine((ws) => ws.max_queued_bytes_total >= ws.queue_bytes, {
      message: "ws.max_queued_bytes_total must be at least ws.queue_bytes (one subscription's queue)",
    })
    .prefault({}),
  verify: z
    .strictObject({
      /** Signature-verification worker threads; 0: one per core, at most MAX_VERIFY_WORKERS. */
      workers: z.number().int().min(0).max(MAX_CONFIGURED_VERIFY_WORKERS).default(0),
    })
    .prefault({}),
  index: z
    .strictObject({
      /** Write the search index (tx_search) with each block; off, the node answers INDEX_DISABLED. */
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** GET /metrics on its own HOST:PORT instead of the RPC port; empty: on the RPC port. */
      listen: z.union([z.literal(""), hostPort]).default(""),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** No block for longer than this and GET /health answers 503; 0: derived (node/health.ts maxBlockAgeMsFor). */
      max_block_age_ms: z.number().int().min(0).default(0),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      format: z.enum(["auto", "json", "pretty"]).default("auto"),
    })
    .prefault({}),
});

export type NodeConfig = z.infer<typeof configSchema>;

export function defaultConfig(moniker: string): NodeConfig {
  return configSchema.parse({ moniker });
}

export function parseConfig(toml: string, source: string): NodeConfig {
  let raw: unknown;
  try {
    raw = parseToml(toml);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ");
    throw new Error(`${source}: ${issues}`);
  }
  return parsed.data;
}

export function readConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`config not found at ${path} (run: opl init --home <dir>)`);
  }
  return parseConfig(text, path);
}

/** Writes config.toml with a comment on every setting, so the file documents itself. */
export function writeConfig(path: string, c: NodeConfig): void {
  const peers = c.p2p.persistent_peers.map((p) => JSON.stringify(p)).join(", ");
  const text = `# OPEN chain node configuration. Flags of \`opl start\` override these values.

# A name for this node, shown in logs and status.
moniker = ${JSON.stringify(c.moniker)}

[rpc]
# JSON-RPC 2.0 over HTTP (POST /). Keep it on loopback unless a proxy with limits stands in front.
listen = ${JSON.stringify(c.rpc.listen)}
# Largest request body accepted, in bytes.
max_body_bytes = ${c.rpc.max_body_bytes}
# Most requests in one JSON-RPC batch.
max_batch = ${c.rpc.max_batch}
# Most bytes of answers to one request (a call or a whole batch): the calls past it get error 2006.
max_response_bytes = ${c.rpc.max_response_bytes}
# Most bytes of answers the node holds for all requests together until sent: past it, error 2008 (retry later).
max_response_bytes_in_flight = ${c.rpc.max_response_bytes_in_flight}
# Most keys of state one request may read (list scans, past-height reads): the calls past it get error 2007.
max_request_work = ${c.rpc.max_request_work}
# Heavy queries (list scans, proof trees being built) running at once, whoever asks: the rest wait their turn.
max_concurrent_scans = ${c.rpc.max_concurrent_scans}
# Open connections in all, and from one IPv4 address or IPv6 /64 (more are answered 503 and closed).
max_connections = ${c.rpc.max_connections}
max_connections_per_ip = ${c.rpc.max_connections_per_ip}
# A connection must send its request header within header_timeout_ms and the whole request within
# request_timeout_ms; an idle keep-alive connection, or one whose client stops reading the answer, is closed
# after idle_timeout_ms.
header_timeout_ms = ${c.rpc.header_timeout_ms}
request_timeout_ms = ${c.rpc.request_timeout_ms}
idle_timeout_ms = ${c.rpc.idle_timeout_ms}
# Origins whose browser pages may call this node (CORS), e.g. ["https://app.example"]; "*" allows any page.
# Empty: no CORS headers, so browsers keep other sites' pages from reading the answers. Their hosts are also
# names this node may be reached under by a browser (besides localhost and IP addresses): a page under any other
# name is refused (403) as DNS rebinding, so list "http://NAME:PORT" to open the explorer under a DNS name.
cors_allowed_origins = [${c.rpc.cors_allowed_origins.map((o) => JSON.stringify(o)).join(", ")}]

[p2p]
# libp2p listen address.
listen = ${JSON.stringify(c.p2p.listen)}
# Peers to keep connected to: /ip4/HOST/tcp/PORT/p2p/PEER_ID. Name your fellow validators here: these peers
# are never banned, and block sync, tx fetch, the tx relay and gossip hold them to their own bounds (and the totals),
# where all other peers (strangers) also share one bound together.
persistent_peers = [${peers}]

[consensus]
# Target time between blocks, in milliseconds. Blocks are made on time even when empty.
block_interval_ms = ${c.consensus.block_interval_ms}

[mempool]
# Most work held, in blocks' worth of the chain's maxBlockWork (the params in force): what the chain commits in
# that many blocks. Sized to what the chain can commit, so a transaction admitted is in a block within
# seconds; beyond it the node answers MEMPOOL_FULL at once (back-pressure: retry after the next block).
max_work_blocks = ${c.mempool.max_work_blocks}
# Most pending transactions, and most bytes of them, held in memory (a memory bound above the work cap).
max_txs = ${c.mempool.max_txs}
max_bytes = ${c.mempool.max_bytes}
# Most pending transactions per sender (also how far ahead of its nonce a sender may go).
max_txs_per_sender = ${c.mempool.max_txs_per_sender}
# Blocks a transaction may wait before it is dropped (e.g. one stuck behind a missing nonce).
ttl_blocks = ${c.mempool.ttl_blocks}
# Seconds a transaction may wait, by this node's clock: expiry goes on while no block is made.
ttl_seconds = ${c.mempool.ttl_seconds}

[state]
# Memory for the state tree's hot nodes, in bytes (the tree itself is on disk; this bounds the cache).
cache_bytes = ${c.state.cache_bytes}
# Heights of state history kept for queries and proofs: older ones are pruned in the background and answer
# with the oldest height still available. 0 keeps every height (an archive node).
keep_recent = ${c.state.keep_recent}
# Bytes of latest state values (and their decoded records) kept in memory; the rest is read from the
# database when needed (each such read is checked against the state tree). The hot accounts of a busy chain
# fit many times over in the default; a node with millions of accounts stays small.
value_cache_bytes = ${c.state.value_cache_bytes}
# Bytes of writes LevelDB gathers in memory before it writes a table file (its write buffer; 1 MiB to
# 256 MiB, default ${DEFAULT_WRITE_BUFFER_BYTES / MIB} MiB). Larger: less CPU spent rewriting the database's files under a heavy
# write load, for that much more memory (up to twice it, while a full buffer is written out). \`opl devnet\`
# gives each of several validators sharing a machine ${DEVNET_WRITE_BUFFER_BYTES / MIB} MiB.
write_buffer_bytes = ${c.state.write_buffer_bytes}

[ws]
# JSON-RPC 2.0 over WebSocket on the RPC port, at ws://HOST:PORT/ws: every method, plus subscribe/unsubscribe.
# Open WebSocket connections in all, and from one IPv4 address or IPv6 /64 (they also count against [rpc]'s).
max_connections = ${c.ws.max_connections}
max_connections_per_ip = ${c.ws.max_connections_per_ip}
# Live subscriptions one connection may hold.
max_subscriptions_per_connection = ${c.ws.max_subscriptions_per_connection}
# Largest message a client may send, in bytes: a larger one closes its connection (1009).
max_message_bytes = ${c.ws.max_message_bytes}
# Notifications (bytes, and count) one subscription may have sent but not yet written to its client. A client
# reading slowly is paced by it; one that takes nothing for [rpc] idle_timeout_ms while more wait is closed
# with 4008 and the cursor to resume from.
queue_bytes = ${c.ws.queue_bytes}
queue_items = ${c.ws.queue_items}
# Bytes of notifications all subscriptions together may have sent but not yet written (those of one client
# address: a quarter of it). A subscription waits for room; one that gets none for [rpc] idle_timeout_ms is
# closed with 4008 like a slow one.
max_queued_bytes_total = ${c.ws.max_queued_bytes_total}

[verify]
# Threads that check transactions' signatures, besides the main one. 0: one per core, at most 4. The nodes of
# \`opl devnet\` share one machine, so each gets a share of its cores instead (each worker holds ~15 MB).
workers = ${c.verify.workers}

[index]
# Index every transaction and block event by address, message type and event attribute, written with each
# block (tx_search). Off: nothing is indexed and tx_search answers INDEX_DISABLED (2011). A node turned on
# after running with it off has no entries for the blocks it committed meanwhile.
enabled = ${c.index.enabled}

[metrics]
# Prometheus metrics (GET /metrics) on their own HOST:PORT, e.g. "127.0.0.1:26660", and then no longer on the
# RPC port. Empty: served on the RPC port.
listen = ${JSON.stringify(c.metrics.listen)}

[health]
# GET /health answers 503 when no block came for longer than this, in milliseconds. 0: one block interval plus
# three rounds that all time out (21000 with the defaults).
max_block_age_ms = ${c.health.max_block_age_ms}

[log]
# trace | debug | info | warn | error | fatal | silent
level = ${JSON.stringify(c.log.level)}
# auto: readable on a terminal, JSON otherwise | json | pretty
format = ${JSON.stringify(c.log.format)}
`;
  writeFileSync(path, text);
}
