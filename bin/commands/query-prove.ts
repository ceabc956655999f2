import type { Command } from "commander";
import type { GenesisParams, LightBlock, TrustedState, TrustExpiry, Validator } from "../../light/index.ts";
import type { MethodName, ParamsOf, ResultOf, TypedClient } from "../../rpc/typed-client.ts";
import type { ProvableKey } from "../../rpc/proof-keys.ts";
import { parsePositiveInt } from "../cli-util.ts";
import { printFields } from "./query-util.ts";

/**
 * `opl query ... --prove`: the answer is believed only once the light client library (light/) has checked
 * it, starting from what the user trusts (the genesis file, or a height and header hash they got elsewhere):
 * the header chain from there to the answer's height, the header's commit, and the state proof of the very
 * key asked for under that header's state root. The value printed is decoded from the proven bytes, not
 * taken from the node's answer.
 */

export interface ProveOpts {
  prove?: boolean;
  trustHeight?: string;
  trustHash?: string;
  genesis?: string;
  home?: string;
  trustingPeriod?: string;
}

/**
 * How long a trusted point is used, by default (seconds). Validators who signed it can unbond and then sign
 * a false history unpunished (the long-range attack), so it must stay below the chain's unbonding time: the
 * default chain unbonds after 1,000 blocks, about 17 minutes at the default 1 s blocks. A longer-lived chain
 * sets a longer period to match its own unbonding time (`--trusting-period`).
 */
export const DEFAULT_TRUSTING_PERIOD_S = 600;

export function withProveOptions(cmd: Command): Command {
  return cmd
    .option(
      "--prove",
      "verify the answer before printing it: the header chain from the trusted point, the commit, and the state " +
      "proof of this key (trust: --trust-height/--trust-hash, else the genesis file of --genesis or --home)",
    )
    .option("--trust-height <n>", "with --prove: a height whose header hash you trust (with --trust-hash)")
    .option("--trust-hash <hex>", "with --prove: the hash of the header at --trust-height")
    .option("--genesis <file>", "with --prove: trust this genesis file's validators (default: --home's genesis.json)")
    .option(
      "--trusting-period <seconds>",
      "with --prove: refuse a trusted point older than this; keep it below the chain's unbonding time",
      String(DEFAULT_TRUSTING_PERIOD_S),
    );
}

/** What --prove checked, for people (verifiedLines) and for --json (`verified`). */
export interface VerifiedReport {
  height: number;
  headerHash: string;
  headerTime: string;
  stateRoot: string;
  key: string;
  present: boolean;
  /** The value decoded from the proven bytes (null: proven absent). */
  value: unknown;
  trustedFrom: { height: number; hash: string | null; source: string };
  /** Heights whose headers were verified on the way, ending with the answer's. */
  path: number[];
}

/** Why --prove refused an answer: the node's answer does not verify against what the user trusts. */
export class UnverifiedAnswerError extends Error {
  override name = "UnverifiedAnswerError";
}

/** What the user trusts, read and checked locally before the node is asked anything. */
type TrustSource =
  | { kind: "hash"; height: number; hash: Uint8Array }
  | { kind: "genesis"; chainId: string; validators: Validator[]; timeMs: number; path: string };

async function readTrustSource(opts: ProveOpts): Promise<TrustSource> {
  const light = await import("../../light/index.ts");
  if (opts.trustHeight !== undefined || opts.trustHash !== undefined) {
    if (opts.trustHeight === undefined || opts.trustHash === undefined)
      throw new Error("--trust-height and --trust-hash go together");
    const height = parsePositiveInt(opts.trustHeight, "--trust-height");
    if (height < 1) throw new Error("--trust-height must be at least 1 (height 0 is genesis: use --genesis)");
    const hash = light.fromHex(opts.trustHash.replace(/^0x/, "").toLowerCase());
    if (hash === undefined || hash.byteLength !== 32)
      throw new Error(`--trust-hash must be a 32-byte header hash in hex, got "${opts.trustHash}"`);
    return { kind: "hash", height, hash };
  }
  const { join } = await import("node:path");
  const path = opts.genesis ?? (opts.home !== undefined ? join(opts.home, "genesis.json") : undefined);
  if (path === undefined) {
    throw new Error(
      "--prove needs a starting point to trust: --genesis FILE (or --home with its genesis.json), or " +
      "--trust-height H --trust-hash HASH",
    );
  }
  const { readGenesisFile } = await import("../../node/genesis-file.ts");
  const { genesisValidatorSet } = await import("../../node/validator-sets.ts");
  const genesis = readGenesisFile(path);
  return {
    kind: "genesis",
    chainId: genesis.chainId,
    validators: genesisValidatorSet(genesis),
    timeMs: genesis.genesisTimeMs,
    path,
  };
}

/**
 * Checks state proofs from one node against one trusted point, remembering each header it verified (the
 * answers of one query often share a height).
 */
export class ProofChecker {
  private readonly client: TypedClient;
  private readonly source: TrustSource;
  private readonly expiry: TrustExpiry;
  private trust: { trusted: TrustedState; block?: LightBlock; source: string } | undefined;
  private readonly verified = new Map<number, { header: LightBlock["header"]; hash: Uint8Array; path: number[] }>();

  private constructor(client: TypedClient, source: TrustSource, expiry: TrustExpiry) {
    this.client = client;
    this.source = source;
    this.expiry = expiry;
  }

  /** Reads and checks the trust options (no node is asked yet): a local mistake is reported as one. */
  static async prepare(client: TypedClient, opts: ProveOpts): Promise<ProofChecker> {
    const seconds = parsePositiveInt(opts.trustingPeriod ?? String(DEFAULT_TRUSTING_PERIOD_S), "--trusting-period");
    const source = await readTrustSource(opts);
    return new ProofChecker(client, source, { nowMs: Date.now(), trustingPeriodMs: seconds * 1000 });
  }

  /**
   * Checks `proofJson` (a state_getProof answer, or the `proof` a get adds with prove: true) for `key`, at
   * `height` when the user asked for one: throws UnverifiedAnswerError naming what does not hold.
   */
  async verify(key: ProvableKey, proofJson: unknown, height?: number): Promise<VerifiedReport> {
    const light = await import("../../light/index.ts");
    const { resolveProvableKey } = await import("../../rpc/proof-keys.ts");
    try {
      if (proofJson === undefined) throw new Error("the answer carries no proof (does the node support prove: true?)");
      const answer = light.decodeStateProofAnswerJson(proofJson, "the proof");
      const resolved = resolveProvableKey(key);
      if (!equal(answer.key, resolved.stateKey)) {
        throw new Error(
          `the proof is for state key ${light.toHex(answer.key)}, not ${light.toHex(resolved.stateKey)} (the key asked for)`,
        );
      }
      if (height !== undefined && answer.height !== height)
        throw new Error(`the answer is for height ${answer.height}, not the height asked for (${height})`);
      const { header, hash, path } = await this.header(answer.height);
      const proved = light.verifyStateProofAnswer(answer, header, hash);
      const { trusted, source } = this.trust as { trusted: TrustedState; source: string };
      return {
        height: answer.height,
        headerHash: light.toHex(hash),
        headerTime: new Date(header.timeMs).toISOString(),
        stateRoot: light.toHex(proved.stateRoot),
        key: light.toHex(answer.key),
        present: answer.valueBytes !== undefined,
        value: answer.valueBytes === undefined ? null : resolved.proven(answer.valueBytes),
        trustedFrom: { height: trusted.height, hash: trusted.hash ? light.toHex(trusted.hash) : null, source },
        path,
      };
    } catch (err) {
      throw new UnverifiedAnswerError(`the node's answer does not verify: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Proves `key` absent (or present) at `height` through state_getProof: for a node's "not found". */
  async verifyLookup(key: ProvableKey, height?: number): Promise<VerifiedReport> {
    return this.verify(key, await this.client.state.getProof({ key, height }), height);
  }

  /**
   * The params in force after block `height` (latest if undefined), proven (light/params.ts): the params
   * record's inclusion, or its absence with the genesis params of `genesis` (the file the user trusts).
   */
  async verifyParams(height: number | undefined, genesis: (GenesisParams & { path: string }) | undefined) {
    const light = await import("../../light/index.ts");
    try {
      const proof = await this.client.state.getProof({ key: { params: true }, height });
      const answer = light.decodeStateProofAnswerJson(proof, "the proof");
      const { header, hash, path } = await this.header(answer.height);
      const proved = light.verifyParamsAnswer(answer, header, hash, genesis);
      const { trusted, source } = this.trust as { trusted: TrustedState; source: string };
      const report: VerifiedReport = {
        height: answer.height,
        headerHash: light.toHex(hash),
        headerTime: new Date(header.timeMs).toISOString(),
        stateRoot: light.toHex(header.stateRoot),
        key: light.toHex(answer.key),
        present: proved.source === "state",
        value: proved.params,
        trustedFrom: { height: trusted.height, hash: trusted.hash ? light.toHex(trusted.hash) : null, source },
        path,
      };
      return { report, source: proved.source === "state" ? "the params record in state" : `the params of ${genesis?.path}` };
    } catch (err) {
      if (err instanceof light.LightClientError && err.code === "NEEDS_GENESIS")
        throw new Error(`${err.message}: give --genesis FILE (or --home with its genesis.json)`, { cause: err });
      throw new UnverifiedAnswerError(`the node's answer does not verify: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The header at `height`, verified from the trusted point (once per height). */
  private async header(height: number) {
    const light = await import("../../light/index.ts");
    const known = this.verified.get(height);
    if (known !== undefined) return known;
    const trust = await this.trusted();
    light.checkTrustFresh(trust.trusted, this.expiry);
    let found;
    if (height === trust.trusted.height && trust.block !== undefined) {
      found = { header: trust.block.header, hash: trust.trusted.hash as Uint8Array, path: [height] };
    } else if (height <= trust.trusted.height) {
      throw new Error(
        `the answer is at height ${height}, at or below the trusted height ${trust.trusted.height}: ask at a ` +
        "later --height or trust an earlier point",
      );
    } else {
      const fetch = (h: number) => this.lightBlock(h);
      const chain = await light.verifyToHeight(trust.trusted, height, fetch, { expiry: this.expiry });
      found = { header: chain.block.header, hash: chain.trusted.hash as Uint8Array, path: chain.path };
    }
    this.verified.set(height, found);
    return found;
  }

  private async trusted() {
    if (this.trust !== undefined) return this.trust;
    const light = await import("../../light/index.ts");
    const s = this.source;
    if (s.kind === "genesis") {
      this.trust = { trusted: light.trustGenesis(s.chainId, s.validators, s.timeMs), source: `the validators of ${s.path}` };
    } else {
      const block = await this.lightBlock(s.height);
      this.trust = {
        trusted: light.trustLightBlock(block.header.chainId, block, s.hash),
        block,
        source: `the header hash given for height ${s.height}`,
      };
    }
    return this.trust;
  }

  /** The light block of a height, as the node serves it (nothing in it is trusted until verified). */
  private async lightBlock(height: number): Promise<LightBlock> {
    const { decodeLightBlockJson } = await import("../../light/index.ts");
    return decodeLightBlockJson(await this.client.light.getBlock({ height }), `light block ${height}`);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** The lines that say what --prove verified, after the value itself. */
export function verifiedLines(r: VerifiedReport): string[] {
  const from = r.trustedFrom.height === 0 ? "genesis" : `height ${r.trustedFrom.height} (${r.trustedFrom.hash})`;
  return [
    `verified: ${r.present ? "this value" : "that the key is absent"} at height ${r.height}, by a state proof ` +
    `under state root ${r.stateRoot}`,
    `  of the header at height ${r.height} (hash ${r.headerHash}, time ${r.headerTime}), which commits to the ` +
    `state after block ${r.height}`,
    `  and is signed by more than 2/3 of its validators; headers checked from ${from} [trusting ${r.trustedFrom.source}] ` +
    `via height${r.path.length > 1 ? "s" : ""} ${r.path.join(", ")}`,
  ];
}

/** One proof an answer carries in a field of its own, and the key it must prove. */
export interface CarriedProof {
  field: string;
  key: ProvableKey;
}

/**
 * What --prove checks for one query: the key whose state proof the answer must carry (prove: true), or
 * proofs the answer always carries (`via`) for records the rest of the answer rests on, or why the query
 * cannot be proven.
 */
export type Provable<T = unknown> =
  | { key: ProvableKey; via?: undefined }
  | {
    via: {
      proofs: CarriedProof[];
      /** Throws unless the whole answer agrees with the proven values (in the order of `proofs`). */
      check(result: T, proven: unknown[]): void;
    };
  }
  | { notProvable: string };

/**
 * The --prove path of a query: the trust options are read first (a local mistake is no node's fault), then
 * the answer's proofs are verified, and only what was verified is printed: the value decoded from the proven
 * bytes (a `via` answer, once `check` agreed with every field it prints). A "not found" is checked too: the
 * node must prove the key absent.
 */
export async function runProvenQuery<N extends MethodName>(
  client: TypedClient,
  opts: ProveOpts & { json?: boolean },
  method: N,
  params: ParamsOf<N>,
  print: (result: ResultOf<N>) => void,
  provable: Provable<ResultOf<N>> | undefined,
): Promise<void> {
  if (provable === undefined || "notProvable" in provable)
    throw new Error(`--prove is not available here: ${provable?.notProvable ?? "lists are not proven; ask for each item"}`);
  const checker = await ProofChecker.prepare(client, opts);
  const height = "height" in params && typeof params.height === "number" ? params.height : undefined;
  // One cast for the generic method: TypeScript does not resolve the typed client's call for an open N.
  const call = client.call as (name: N, params: ParamsOf<N>) => Promise<ResultOf<N>>;
  if (provable.via !== undefined) {
    const result = await call(method, params);
    const reports: VerifiedReport[] = [];
    // Carried proofs are of records that never change once made (a published version, an accepted
    // contribution): the node proves them at its latest height whatever height was asked.
    const fields = result as Record<string, unknown>;
    for (const p of provable.via.proofs) reports.push(await checker.verify(p.key, fields[p.field]));
    provable.via.check(result, reports.map((r) => r.value));
    if (opts.json) console.log(JSON.stringify({ ...result, verified: reports }, null, 2));
    else {
      print(result);
      for (const r of reports) for (const line of verifiedLines(r)) console.log(line);
    }
    return;
  }
  let verified: VerifiedReport;
  try {
    // A provable get answers prove: true with its record's state proof in `proof`.
    const result = (await call(method, { ...params, prove: true })) as { proof?: unknown };
    verified = await checker.verify(provable.key, result.proof, height);
  } catch (err) {
    const { RpcError } = await import("../../rpc/errors.ts");
    const notFound = err instanceof RpcError && (err.data as { reason?: string } | undefined)?.reason === "NOT_FOUND";
    if (!notFound) throw err;
    verified = await checker.verifyLookup(provable.key, height);
    if (verified.present) {
      throw new UnverifiedAnswerError(
        `the node answered "${(err as Error).message}", but the state at height ${verified.height} proves the key present`,
      );
    }
  }
  // Only what was verified: a node's other fields are not printed under --prove, in JSON either.
  if (opts.json) console.log(JSON.stringify({ verified }, null, 2));
  else {
    if (verified.value === null) console.log("absent");
    else if (typeof verified.value === "object") printFields(verified.value as Record<string, unknown>);
    else console.log(String(verified.value));
    for (const line of verifiedLines(verified)) console.log(line);
  }
}
