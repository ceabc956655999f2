/**
 * The WebSocket limits of config.toml's [ws] (node/config.ts takes its defaults from here, and rpc/ws/ checks
 * against the values it is given: one constant each for the side that builds and the side that checks).
 */
export interface WsLimits {
  /** Open WebSocket connections in all: ws.max_connections. */
  maxConnections: number;
  /** Open WebSocket connections from one IPv4 address or IPv6 /64: ws.max_connections_per_ip. */
  maxConnectionsPerIp: number;
  /** Live subscriptions one connection may hold: ws.max_subscriptions_per_connection. */
  maxSubscriptionsPerConnection: number;
  /** Largest message (frame payload) a client may send, in bytes (ws's maxPayload): ws.max_message_bytes. */
  maxMessageBytes: number;
  /** Bytes of notifications one subscription may have sent but not yet written to its connection: ws.queue_bytes. */
  queueBytes: number;
  /** Notifications one subscription may have sent but not yet written to its connection: ws.queue_items. */
  queueItems: number;
  /**
   * Bytes of notifications all subscriptions together may have sent but not yet written (those of one client
   * address: WS_CLIENT_SHARE of it): ws.max_queued_bytes_total.
   */
  maxQueuedBytesTotal: number;
  /**
   * A client whose subscription has items waiting but who takes none of its notifications for this long is
   * too slow and is closed (4008): rpc.idle_timeout_ms, the same patience as with an HTTP answer it stopped reading.
   */
  stallTimeoutMs: number;
}

export const DEFAULT_WS_LIMITS = {
  maxConnections: 256,
  maxConnectionsPerIp: 16,
  maxSubscriptionsPerConnection: 16,
  maxMessageBytes: 1024 * 1024,
  queueBytes: 4 * 1024 * 1024,
  queueItems: 10_000,
  maxQueuedBytesTotal: 64 * 1024 * 1024,
} as const;

/**
 * The slowest reading a WebSocket client may do: a ping queued behind n bytes must be answered within
 * rpc.idle_timeout_ms + n / this (a client reading steadily but slowly is not cut off for its late pong).
 */
export const WS_MIN_READ_BYTES_PER_SECOND = 16 * 1024;

/** The part of ws.max_queued_bytes_total the subscriptions of one client address (IPv4, or IPv6 /64) may hold. */
export const WS_CLIENT_SHARE = 1 / 4;

/** The smallest ws.queue_bytes accepted: a page of notifications (a few full txs) must fit in half of it. */
export const MIN_QUEUE_BYTES = 64 * 1024;

/** Items read per page of a subscription: a page is at most this many notifications (more when an item's events are). */
export const PAGE_ITEMS = 100;

/** Close codes (4000-4999 are the application's, RFC 6455 7.4.2). */
export const CLOSE_CODES = {
  /** A subscription's client took none of its notifications for stallTimeoutMs: resume from the last cursor seen. */
  tooSlow: 4008,
  /** The connection sent more requests than are answered at once (MAX_PIPELINED), without waiting for answers. */
  tooManyRequests: 4029,
  /** A binary frame: JSON-RPC messages are text. */
  unsupportedData: 1003,
  /** The node is shutting down. */
  goingAway: 1001,
} as const;
