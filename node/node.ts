import type { Logger } from "pino";
import { VerifyPool, verifyWorkerCount } from "../crypto/verify-pool.ts";
import { createP2pHost, type P2pHost } from "../p2p/host.ts";
import { PeerScores } from "../p2p/peer-scores.ts";
import { parsePeerAddress, PersistentPeers } from "../p2p/persistent-peers.ts";
import { Dispatcher } from "../rpc/dispatch.ts";
import { allMethods } from "../rpc/methods/index.ts";
import { RpcServer } from "../rpc/server.ts";
import type { MetricsServer } from "../rpc/metrics-server.ts";
import { WsGateway } from "../rpc/ws/gateway.ts";
import type { Genesis } from "../state/genesis.ts";
import { getAccount } from "../state/modules/bank/bank.ts";
import { ChainDb } from "../state/store/chain-db.ts";
import { chainProver } from "../state/tree/chain-prover.ts";
import { underBacklog } from "./backlog.ts";
import { ChainApp } from "./chain-app.ts";
import { openChain } from "./chain-open.ts";
import { StatePruning } from "./state-pruning.ts";
import { homePaths, type NodeConfig } from "./config.ts";
import { readGenesisFile } from "./genesis-file.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "./mempool.ts";
import { TxFates } from "./tx-fates.ts";
import { loadNodeKey } from "./node-key.ts";
import { DEFAULT_TIMEOUTS } from "../consensus/engine/types.ts";
import { decodeCheckpoint, encodeCheckpoint, type PriorityCheckpoint } from "../consensus/proposer.ts";
import { ConsensusDriver } from "./consensus-driver.ts";
import { NodeNetwork } from "./network.ts";
import { GuardedSigner, signedHeight } from "./signer.ts";
import { checkSignerState } from "./signer-recovery.ts";
import { walHeight } from "./wal.ts";
import { threadPoolFsync } from "./durable-file.ts";
import { type HttpRouteDeps, metricsListener, rpcGetRoutes } from "./http-routes.ts";
import { splitHostPort } from "./host-port.ts";
import { NodeMetrics } from "./metrics.ts";
import { TxVerifier } from "./tx-verifier.ts";
import { loadValidatorKey } from "./validator-key.ts";
import type { UpgradePlan } from "../state/modules/gov/queries.ts";
import { haltingPlan, UpgradeHaltError, upgradeHaltMessage } from "../state/upgrades/halt.ts";
import { NO_UPGRADES, type UpgradeBinary } from "../state/upgrades/handler.ts";
import { clearUpgradeHalt, writeUpgradeHalt } from "./upgrade-halt.ts";
import { NODE_VERSION } from "./version.ts";

export { NODE_VERSION };

export interface StartOptions {
  home: string;
  config: NodeConfig;
  logger: Logger;
  /**
   * Rebuild a missing signer state from this validator's own precommits in the block store instead of
   * refusing to start (opl start --unsafe-recover-signer-state; see node/signer-recovery.ts for the risk).
   */
  recoverSignerState?: boolean;
  /**
   * Called if the node hits an error it cannot continue after (it has already stopped producing). An
   * UpgradeHaltError is not a failure: the node stopped before a passed upgrade's height (logged, written to
   * data/upgrade-halt.json); `opl start` exits with UPGRADE_HALT_EXIT_CODE for it.
   */
  onFatal?: (err: unknown) => void;
  /** The upgrade handlers this binary carries and the heights to skip (default none). */
  upgrades?: UpgradeBinary;
  /** Aborted when a stop is asked for during the start: a streamed genesis write stops (StartStopped). */
  signal?: AbortSignal;
}

interface Parts {
  genesis: Genesis;
  app: ChainApp;
  mempool: Mempool;
  rpc: RpcServer;
  metrics: NodeMetrics;
  metricsServer: MetricsServer | undefined;
  websocket: WsGateway;
  nodeId: string;
  db: ChainDb;
  pool: VerifyPool;
  p2p: P2pHost;
  peers: PersistentPeers;
  network: NodeNetwork;
  producer: ConsensusDriver;
  expirySweep: NodeJS.Timeout;
  pruning: StatePruning;
  logger: Logger;
}

/** How often the mempool drops expired txs even when nothing is admitted, reaped or committed. */
const MEMPOOL_EXPIRY_SWEEP_MS = 10_000;

/**
 * The composition root: database -> chain state -> mempool -> application -> block producer -> RPC, built
 * in that order and stopped in reverse. One object owns them all, so start-up and shutdown are in one place.
 */
export class OplNode {
  readonly genesis: Genesis;
  readonly app: ChainApp;
  readonly mempool: Mempool;
  readonly rpc: RpcServer;
  /** JSON-RPC over WebSocket on the RPC port (its connections and subscriptions: stats). */
  readonly websocket: WsGateway;
  readonly nodeId: string;
  readonly p2p: P2pHost;
  readonly network: NodeNetwork;
  readonly consensus: ConsensusDriver;
  /** The Prometheus registry and its handles (`opl_rpc_subscriptions` reads the WebSocket gateway). */
  readonly metrics: NodeMetrics;
  /** Where GET /metrics is served when [metrics] listen names a listener of its own. */
  readonly metricsUrl: string | undefined;
  /** Signature-verification worker threads ([verify] workers). */
  readonly verifyWorkers: number;
  private readonly parts: Parts;

  private constructor(parts: Parts) {
    this.parts = parts;
    this.genesis = parts.genesis;
    this.app = parts.app;
    this.mempool = parts.mempool;
    this.rpc = parts.rpc;
    this.websocket = parts.websocket;
    this.nodeId = parts.nodeId;
    this.p2p = parts.p2p;
    this.network = parts.network;
    this.consensus = parts.producer;
    this.metrics = parts.metrics;
    this.metricsUrl = parts.metricsServer?.url;
    this.verifyWorkers = parts.pool.size;
  }

  static async start(opts: StartOptions): Promise<OplNode> {
    const paths = homePaths(opts.home);
    const log = opts.logger;
    const { config } = opts;
    const phases: Record<string, number> = {};
    const genesisRead = performance.now();
    const genesis = readGenesisFile(paths.genesis);
    phases.genesisReadMs = Math.round(performance.now() - genesisRead);
    const validatorKey = loadValidatorKey(paths.validatorKey);
    const { privateKey: nodeKey, peerId } = loadNodeKey(paths.nodeKey);

    const dbOpen = performance.now();
    const db = await ChainDb.open(paths.chainDb, { writeBufferBytes: config.state.write_buffer_bytes });
    phases.dbOpenMs = Math.round(performance.now() - dbOpen);
    const pool = new VerifyPool(verifyWorkerCount(config.verify.workers), (err) => log.error({ err }, "signature verification worker died; replaced"));
    let p2p: P2pHost | undefined;
    let rpcListening: RpcServer | undefined;
    let metricsListening: MetricsServer | undefined;
    let peersStarted: PersistentPeers | undefined;
    let networkStarted: NodeNetwork | undefined;
    let expirySweep: NodeJS.Timeout | undefined;
    let driver: ConsensusDriver | undefined;
    let pruning: StatePruning | undefined;
    try {
      const persistentIds = new Set(config.p2p.persistent_peers.map((a) => parsePeerAddress(a).peerId));
      // The signer state and the WAL show how far this node got; a database behind them lost blocks.
      const openStarted = performance.now();
      const { state, info, validatorSets } = await openChain(db, genesis, {
        signedHeight: signedHeight(paths.signerState),
        walHeight: walHeight(paths.wal),
      }, {
        treeCacheBytes: config.state.cache_bytes,
        valueCacheBytes: config.state.value_cache_bytes,
        genesisProgress: (done, total) => log.info({ done, total }, "writing genesis accounts"),
        signal: opts.signal,
        onGenesisTreeBuild: () => log.info("building the genesis state tree"),
        phases,
      });
      phases.openChainMs = Math.round(performance.now() - openStarted);
      // The JS heap right after the state is loaded: what the state costs in memory (the state-size bench).
      const heapMB = Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
      const opened = { chainId: genesis.chainId, height: info.height, nodeId: peerId, ...phases, heapMB };
      log.info({ ...opened, verifyWorkers: pool.size }, "chain opened");
      const upgrades = opts.upgrades ?? NO_UPGRADES;
      // Started again on a state that waits for an upgrade this binary lacks: stop before anything signs.
      const haltNow = haltingPlan(state, info.height + 1, upgrades);
      if (haltNow !== undefined) {
        reportUpgradeHalt(opts.home, log, haltNow);
        throw new UpgradeHaltError(haltNow);
      }
      clearUpgradeHalt(opts.home);
      if (upgrades.skipHeights.size > 0) {
        log.warn({ heights: [...upgrades.skipHeights] }, "--unsafe-skip-upgrades: an upgrade passed for these heights is " +
        "skipped (its plan cleared, no handler run); every validator must skip it too, or this node forks off");
      }
      let halted = false;
      // A fatal error from consensus or block sync; an upgrade halt is reported as such, once.
      const fatal = (what: string) => (err: unknown) => {
        if (err instanceof UpgradeHaltError) {
          if (halted) return;
          halted = true;
          app.markUpgradeHalted(err.plan);
          reportUpgradeHalt(opts.home, log, err.plan);
        } else log.fatal({ err }, what);
        opts.onFatal?.(err);
      };
      const verifier = new TxVerifier(genesis.chainId, { pool });
      const mempool = new Mempool(
        {
          maxTxs: config.mempool.max_txs,
          maxBytes: config.mempool.max_bytes,
          maxPerSender: config.mempool.max_txs_per_sender,
          ttlBlocks: config.mempool.ttl_blocks,
          ttlMs: config.mempool.ttl_seconds * 1000,
          maxGappedPerSender: DEFAULT_MEMPOOL_LIMITS.maxGappedPerSender,
          maxGappedTotal: Math.max(1, Math.floor(config.mempool.max_txs / 10)),
          maxWorkBlocks: config.mempool.max_work_blocks,
        },
        {
          chainId: genesis.chainId,
          params: genesis.params,
          verifier,
          account: (address) => getAccount(state, address),
          includedAt: async (hash) => (await db.getTx(hash, false))?.height,
        },
      );
      expirySweep = setInterval(() => mempool.expire(), MEMPOOL_EXPIRY_SWEEP_MS).unref();
      // What became of txs that leave the mempool unincluded, at the height they left (tx_getStatus).
      const txFates = new TxFates();
      mempool.onDropped((tx, why) => txFates.record(tx.id, { ...why, height: app.info().height }));
      const app = new ChainApp({
        db,
        state,
        genesis,
        mempool,
        verifier,
        info,
        validatorSets,
        logger: log.child({ module: "app" }),
        index: config.index.enabled,
        upgrades,
      });
      pruning = new StatePruning(app, db, config.state.keep_recent, log.child({ module: "pruning" }));
      // The signer loads only now: the database (opened above) holds the OS lock on this home.
      await checkSignerState({
        statePath: paths.signerState,
        walPath: paths.wal,
        key: validatorKey,
        info,
        validators: app.validators(info.height + 1),
        db,
        recover: opts.recoverSignerState === true,
        log,
      });
      // A failed write of the state file itself is safe (its shadow copy, written first, holds the state), but
      // the disk is failing: said at once, and the next signature's write stops the node.
      const stateFileFailed = (err: unknown) =>
        log.error({ err, path: paths.signerState }, "could not write the signer state file; its .shadow holds the state");
      const { signerState, signerAudit } = paths;
      const signer = new GuardedSigner(validatorKey, signerState, signerAudit, undefined, undefined, stateFileFailed);
      const network = new NodeNetwork();
      const connections = () =>
        (p2p?.getConnections() ?? []).map((c) => ({ peer: c.remotePeer.toString(), direction: c.direction }));
      const metrics = new NodeMetrics({
        rpcMethods: allMethods.map((m) => m.name),
        sources: {
          height: () => app.info().height,
          lastBlockTimeMs: () => app.info().lastBlockTimeMs,
          round: () => driver?.round ?? 0,
          mempool: () => ({ txs: mempool.size, bytes: mempool.totalBytes }),
          connections,
          catchingUp: () => network.catchingUp,
          bestPeerHeight: () => network.bestPeerHeight,
          verifyPending: () => pool.pending,
          verifySignatures: () => pool.stats.records,
          verifyMessages: () => pool.stats.messages,
        },
      });
      app.onCommit(metrics.blockCommitted);
      const checkpointText = await db.getLocal("proposer-priorities");
      const producer = new ConsensusDriver({
        app,
        network,
        signer,
        walPath: paths.wal,
        fsyncer: metrics.timedFsyncer(threadPoolFsync),
        timeouts: DEFAULT_TIMEOUTS,
        commitTimeoutMs: config.consensus.block_interval_ms,
        // The params in force (governance changes them from the block after the one executing a change).
        backlogged: () => underBacklog(app.lastBlockFill, mempool, app.params),
        evidenceMaxAgeBlocks: () => app.params.staking.maxEvidenceAgeBlocks,
        maxBlockTxs: () => app.params.maxBlockTxs,
        priorityCheckpoint: readCheckpoint(checkpointText, log),
        savePriorityCheckpoint: (c) => {
          db.putLocal("proposer-priorities", encodeCheckpoint(c)).catch((err: unknown) => {
            log.warn({ err }, "could not save the proposer-priority checkpoint (the next start walks from genesis)");
          });
        },
        logger: log.child({ module: "consensus" }),
        haltBefore: (height) => app.upgradeHalt(height),
        onFatal: fatal("consensus failed; the node stops"),
      });
      driver = producer;
      // A block's worth admitted while the next height waits out the interval (after a full block) starts it now.
      mempool.onAdmitted(() => producer.backlogGrew());
      const [rpcHost, rpcPort] = splitHostPort(config.rpc.listen);
      const dispatcher = new Dispatcher({
        methods: allMethods,
        context: {
          chainId: genesis.chainId,
          params: genesis.params,
          nodeId: peerId,
          moniker: config.moniker,
          app,
          db,
          state,
          // Every retained height, through the latest state's hot-node cache (state/tree/chain-prover.ts).
          prover: chainProver(db, state),
          mempool,
          txFates,
          catchingUp: () => network.catchingUp,
          consensus: () => ({
            height: producer.height,
            round: producer.round,
            bestPeerHeight: network.bestPeerHeight,
            evidence: producer.evidence,
          }),
          p2pAddresses: () => p2p?.getMultiaddrs().map((a) => a.toString()) ?? [],
          peers: () =>
            (p2p?.getConnections() ?? []).map((c) => ({
              nodeId: c.remotePeer.toString(),
              address: c.remoteAddr.toString(),
              direction: c.direction,
            })),
        },
        maxBatch: config.rpc.max_batch,
        maxResponseBytes: config.rpc.max_response_bytes,
        maxResponseBytesInFlight: config.rpc.max_response_bytes_in_flight,
        maxRequestWork: config.rpc.max_request_work,
        maxConcurrentScans: config.rpc.max_concurrent_scans,
        logger: log.child({ module: "rpc" }),
        observer: metrics,
      });
      const routes: HttpRouteDeps = {
        config,
        app,
        network,
        metrics,
        connections,
        validatorAddress: validatorKey.address,
        version: NODE_VERSION,
        nodeId: peerId,
        rpcMethods: () => dispatcher.methodNames,
        logger: log,
      };
      const websocket = new WsGateway({
        dispatcher,
        app,
        limits: {
          maxConnections: config.ws.max_connections,
          maxConnectionsPerIp: config.ws.max_connections_per_ip,
          maxSubscriptionsPerConnection: config.ws.max_subscriptions_per_connection,
          maxMessageBytes: config.ws.max_message_bytes,
          queueBytes: config.ws.queue_bytes,
          queueItems: config.ws.queue_items,
          maxQueuedBytesTotal: config.ws.max_queued_bytes_total,
          stallTimeoutMs: config.rpc.idle_timeout_ms,
        },
        idleTimeoutMs: config.rpc.idle_timeout_ms,
        allowedOrigins: config.rpc.cors_allowed_origins,
        listenHost: rpcHost,
        logger: log.child({ module: "ws" }),
      });
      metrics.subscriptionCount = () => websocket.stats.subscriptions;
      const rpc = new RpcServer({
        host: rpcHost,
        port: rpcPort,
        maxBodyBytes: config.rpc.max_body_bytes,
        limits: {
          maxConnections: config.rpc.max_connections,
          maxConnectionsPerIp: config.rpc.max_connections_per_ip,
          headerTimeoutMs: config.rpc.header_timeout_ms,
          requestTimeoutMs: config.rpc.request_timeout_ms,
          idleTimeoutMs: config.rpc.idle_timeout_ms,
        },
        dispatcher,
        logger: log,
        corsAllowedOrigins: config.rpc.cors_allowed_origins,
        get: rpcGetRoutes(routes),
        websocket,
      });
      const metricsServer = metricsListener(routes);
      const p2pLog = log.child({ module: "p2p" });
      const scores = new PeerScores({
        log: p2pLog,
        persistentPeers: persistentIds,
        disconnect: (peer) => {
          const conn = p2p?.getConnections().find((c) => c.remotePeer.toString() === peer);
          if (conn !== undefined) void p2p?.hangUp(conn.remotePeer).catch(() => {});
        },
      });
      const host = await createP2pHost({
        privateKey: nodeKey,
        listen: [config.p2p.listen],
        agentVersion: NODE_VERSION,
        isBanned: (peer) => scores.isBanned(peer),
        keepRecordOf: (peer) => persistentIds.has(peer),
      });
      p2p = host;
      log.info({ addresses: host.getMultiaddrs().map((a) => a.toString()) }, "p2p listening");
      await network.start({
        host,
        scores,
        driver: producer,
        app,
        mempool,
        db,
        verifier,
        relayPeerTxs: config.p2p.relay_peer_txs,
        maxBlockTxs: () => app.params.maxBlockTxs,
        expectPeers: persistentIds.size > 0,
        onFatal: fatal("block sync failed; the node stops"),
        log: p2pLog,
      });
      networkStarted = network;
      const peers = new PersistentPeers(host, config.p2p.persistent_peers, p2pLog);
      peers.start();
      peersStarted = peers;
      await rpc.listen();
      rpcListening = rpc;
      await metricsServer?.listen();
      metricsListening = metricsServer;
      await producer.start();
      log.info({ url: rpc.url }, "JSON-RPC listening");
      if (metricsServer !== undefined) log.info({ url: `${metricsServer.url}/metrics` }, "metrics listening");
      return new OplNode({
        genesis,
        app,
        mempool,
        rpc,
        metrics,
        metricsServer,
        websocket,
        nodeId: peerId,
        db,
        pool,
        p2p: host,
        peers,
        network,
        producer,
        expirySweep,
        pruning,
        logger: log,
      });
    } catch (err) {
      clearInterval(expirySweep);
      // Undo whatever was started, so a failed start leaves no listener behind a closed database, and no
      // consensus job (a peer's vote, a timeout) runs on after a failed replay.
      await driver?.stop();
      await pruning?.stop();
      await rpcListening?.close();
      await metricsListening?.close();
      peersStarted?.stop();
      await networkStarted?.stop();
      await p2p?.stop();
      await pool.close();
      await db.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const p = this.parts;
    // The network first: block sync must not commit through a consensus driver that is stopping.
    await p.network.stop();
    await p.producer.stop();
    clearInterval(p.expirySweep);
    await p.rpc.close();
    await p.metricsServer?.close();
    p.peers.stop();
    await p.p2p.stop();
    await p.pool.close();
    await p.pruning.stop();
    await p.db.close();
    p.logger.info("node stopped");
  }
}

/** The operator's message, in the log and in data/upgrade-halt.json (opl status --home reads it). */
function reportUpgradeHalt(home: string, log: Logger, plan: UpgradePlan): void {
  log.error({ upgrade: plan.name, height: plan.height, proposal: plan.proposalId }, upgradeHaltMessage(plan));
  try {
    writeUpgradeHalt(home, plan);
  } catch (err) {
    log.warn({ err }, "could not write data/upgrade-halt.json");
  }
}

/** The saved proposer-priority checkpoint; a damaged one is ignored (the walk starts from genesis instead). */
function readCheckpoint(text: string | undefined, log: Logger): PriorityCheckpoint | undefined {
  if (text === undefined) return undefined;
  try {
    return decodeCheckpoint(text);
  } catch (err) {
    log.warn({ err }, "ignoring a damaged proposer-priority checkpoint");
    return undefined;
  }
}
