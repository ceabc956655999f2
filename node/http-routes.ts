import type { Logger } from "pino";
import { DEFAULT_TIMEOUTS } from "../consensus/engine/types.ts";
import { equalBytes } from "../crypto/bytes.ts";
import { rpcEndpoints } from "../rpc/endpoints.ts";
import { loadExplorerFiles } from "../rpc/explorer-files.ts";
import type { GetRoutes } from "../rpc/get-routes.ts";
import { MetricsServer } from "../rpc/metrics-server.ts";
import type { ChainApp } from "./chain-app.ts";
import type { NodeConfig } from "./config.ts";
import { BlockAge, checkHealth, maxBlockAgeMsFor } from "./health.ts";
import { splitHostPort } from "./host-port.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { NodeNetwork } from "./network.ts";

/** What the node's GET routes and its metrics listener are made from (node/node.ts wires them). */
export interface HttpRouteDeps {
  config: NodeConfig;
  app: ChainApp;
  network: NodeNetwork;
  metrics: NodeMetrics;
  /** Open libp2p connections: the remote peer and who dialled. */
  connections: () => { peer: string; direction: string }[];
  /** This node's validator key address: whether it is in the set decides whether it needs peers. */
  validatorAddress: Uint8Array;
  version: string;
  nodeId: string;
  /** The JSON-RPC method names (the dispatcher's). */
  rpcMethods: () => string[];
  logger: Logger;
}

/** Whether /metrics has a listener of its own ([metrics] listen), and then is not on the RPC port. */
function metricsApart(config: NodeConfig): boolean {
  return config.metrics.listen !== "";
}

/** GET /, /health and (unless it has its own listener) /metrics on the RPC port. */
export function rpcGetRoutes(d: HttpRouteDeps): GetRoutes {
  const { config, app, network } = d;
  const maxBlockAgeMs =
    config.health.max_block_age_ms || maxBlockAgeMsFor(config.consensus.block_interval_ms, DEFAULT_TIMEOUTS);
  const apart = metricsApart(config);
  const blockAge = new BlockAge(() => performance.now(), Date.now() - app.info().lastBlockTimeMs);
  app.onCommit(blockAge.committed);
  return {
    describe: () => ({
      name: "opl-node",
      version: d.version,
      chainId: app.info().chainId,
      nodeId: d.nodeId,
      endpoints: rpcEndpoints({ metrics: !apart }),
      rpcMethods: d.rpcMethods(),
    }),
    health: () => {
      const info = app.info();
      const validators = app.validators(info.height + 1);
      return checkHealth({
        height: info.height,
        lastBlockAgeMs: blockAge.ms,
        lastBlockTimeMs: info.lastBlockTimeMs,
        nowMs: Date.now(),
        peers: new Set(d.connections().map((c) => c.peer)).size,
        catchingUp: network.catchingUp,
        bestPeerHeight: network.bestPeerHeight,
        validators: validators.length,
        isValidator: validators.some((v) => equalBytes(v.address, d.validatorAddress)),
        maxBlockAgeMs,
      });
    },
    metrics: apart ? undefined : () => d.metrics.exposition(),
    explorer: loadExplorerFiles(),
  };
}

/** The listener of [metrics] listen, not yet listening; undefined when metrics are on the RPC port. */
export function metricsListener(d: HttpRouteDeps): MetricsServer | undefined {
  if (!metricsApart(d.config)) return undefined;
  const [host, port] = splitHostPort(d.config.metrics.listen);
  return new MetricsServer({
    host,
    port,
    metrics: () => d.metrics.exposition(),
    headerTimeoutMs: d.config.rpc.header_timeout_ms,
    requestTimeoutMs: d.config.rpc.request_timeout_ms,
    idleTimeoutMs: d.config.rpc.idle_timeout_ms,
    hostNames: { listenHost: host, allowedOrigins: d.config.rpc.cors_allowed_origins },
    logger: d.logger,
  });
}
