import type { Command } from "commander";
import type { LightBlock, TrustedState } from "../../light/index.ts";
import type { RpcClient } from "../../rpc/client.ts";
import type { ProvableKey } from "../../rpc/proof-keys.ts";
import { parsePositiveInt } from "../cli-util.ts";

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
}

export function withProveOptions(cmd: Command): Command {
  return cmd
    .option(
      "--prove",
      "verify the answer before printing it: the header chain from the trusted point, the commit, and the state " +
      "proof of this key (trust: --trust-height/--trust-hash, else the genesis file of --genesis or --home)",
    )
    .option("--trust-height <n>", "with --prove: a height whose header hash you trust (with --trust-hash)")
    .option("--trust-hash <hex>", "with --prove: the hash of the header at --trust-height")
    .option("--genesis <file>", "with --prove: trust this genesis file's validators (default: --home's genesis.json)");
}

/** What --prove checked, for people (printVerified) and for --json (`verified`). */
export interface VerifiedReport {
  height: number;
  headerHash: string;
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

/** The light block of a height, as the node serves it (nothing in it is trusted until verified). */
async function fetchLightBlock(client: RpcClient, height: number): Promise<LightBlock> {
  const { decodeLightBlockJson } = await import("../../light/index.ts");
  return decodeLightBlockJson(await client.call("light_getBlock", { height }), `light block ${height}`);
}

/** The user's starting point: a trusted header hash, or the genesis file's validator set. */
async function trustPoint(
  client: RpcClient,
  opts: ProveOpts,
): Promise<{ trusted: TrustedState; block?: LightBlock; source: string }> {
  const light = await import("../../light/index.ts");
  if (opts.trustHeight !== undefined || opts.trustHash !== undefined) {
    if (opts.trustHeight === undefined || opts.trustHash === undefined)
      throw new Error("--trust-height and --trust-hash go together");
    const height = parsePositiveInt(opts.trustHeight, "--trust-height");
    const hash = light.fromHex(opts.trustHash.replace(/^0x/, ""));
    if (hash === undefined || hash.byteLength !== 32)
      throw new Error(`--trust-hash must be a 32-byte header hash in hex, got "${opts.trustHash}"`);
    const block = await fetchLightBlock(client, height);
    return {
      trusted: light.trustLightBlock(block.header.chainId, block, hash),
      block,
      source: `the header hash given for height ${height}`,
    };
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
    trusted: light.trustGenesis(genesis.chainId, genesisValidatorSet(genesis), genesis.genesisTimeMs),
    source: `the validators of ${path}`,
  };
}

/**
 * Checks a get method's `proof` (the state_getProof answer it adds with prove: true) for `key`: throws
 * UnverifiedAnswerError naming what does not hold, else says what was verified.
 */
export async function verifyProvenAnswer(
  client: RpcClient,
  opts: ProveOpts,
  key: ProvableKey,
  proofJson: unknown,
): Promise<VerifiedReport> {
  const light = await import("../../light/index.ts");
  const { resolveProvableKey } = await import("../../rpc/proof-keys.ts");
  try {
    if (proofJson === undefined) throw new Error("the node's answer carries no proof (does it support prove: true?)");
    const answer = light.decodeStateProofAnswerJson(proofJson, "the proof");
    const resolved = resolveProvableKey(key);
    if (!equal(answer.key, resolved.stateKey)) {
      throw new Error(
        `the proof is for state key ${light.toHex(answer.key)}, not ${light.toHex(resolved.stateKey)} (the key asked for)`,
      );
    }
    const { trusted, block, source } = await trustPoint(client, opts);
    let header: LightBlock["header"];
    let hash: Uint8Array;
    let path: number[];
    if (answer.height === trusted.height && block !== undefined) {
      ({ header } = block);
      hash = trusted.hash as Uint8Array;
      path = [answer.height];
    } else if (answer.height < trusted.height) {
      throw new Error(
        `the answer is at height ${answer.height}, below the trusted height ${trusted.height}: ask at a later ` +
        "--height or trust an earlier point",
      );
    } else {
      const chain = await light.verifyToHeight(trusted, answer.height, (h) => fetchLightBlock(client, h));
      ({ header } = chain.block);
      hash = chain.trusted.hash as Uint8Array;
      path = chain.path;
    }
    const verified = light.verifyStateProofAnswer(answer, header, hash);
    return {
      height: answer.height,
      headerHash: light.toHex(hash),
      stateRoot: light.toHex(verified.stateRoot),
      key: light.toHex(answer.key),
      present: answer.valueBytes !== undefined,
      value: answer.valueBytes === undefined ? null : resolved.proven(answer.valueBytes),
      trustedFrom: { height: trusted.height, hash: trusted.hash ? light.toHex(trusted.hash) : null, source },
      path,
    };
  } catch (err) {
    if (err instanceof UnverifiedAnswerError) throw err;
    throw new UnverifiedAnswerError(`the node's answer does not verify: ${(err as Error).message}`, { cause: err });
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
    `  of the header at height ${r.height} (hash ${r.headerHash}), which commits to the state after block ${r.height}`,
    `  and is signed by more than 2/3 of its validators; headers checked from ${from} [trusting ${r.trustedFrom.source}] ` +
    `via height${r.path.length > 1 ? "s" : ""} ${r.path.join(", ")}`,
  ];
}
