import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { publicKeyOf } from "../../crypto/ed25519.ts";
import { MerkleTree, merkleRootOfHashes, verifyMerkleProof } from "../../crypto/merkle.ts";
import { decodeValidatorSet } from "../../proto/block.ts";
import {
  addressListCodec,
  idListCodec,
  contributionCodec,
  datanetCodec,
  datanetFrontierCodec,
  datanetVersionCodec,
  inferenceCodec,
  inferencePayoutsCodec,
  modelCodec,
  modelVersionCodec,
  rewardsCodec,
  stakingPoolCodec,
  unbondingGroupCodec,
  stakingValidatorCodec,
  unbondingListCodec,
} from "../../proto/module-records.ts";
import { govVoteCodec, proposalCodec } from "../../proto/gov-records.ts";
import { Keyring } from "../../node/keyring.ts";
import { paramsFromJson } from "../../state/params-check.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { fromJsonValue, hexBytes, RULES, type RuleId, specOf, type Vector, type VectorFile, type VectorInput } from "../vectors/known-answers.ts";
import { KEY_LAYOUT } from "../vectors/key-layout.ts";
import type { KeyPart, RecordEntry } from "../vectors/module-answers.ts";

/**
 * The module state (docs/module-state.md) and what clients read and write (docs/client-formats.md): the pinned
 * answers of test/vectors/known-answers.json decode back to their inputs, are read back by the node's own
 * loaders, and follow the spec's formulas computed here from their statement (the key prefixes written out as
 * the spec's table gives them, node:crypto's sha256). That the code still gives each answer is checked with every
 * other vector by known-answer-vectors.test.ts.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const file = JSON.parse(readFileSync(join(ROOT, "test", "vectors", "known-answers.json"), "utf8")) as VectorFile;
const inputOf = (v: Vector) => fromJsonValue<VectorInput>(v.input);
const ofKind = (...kinds: VectorInput["kind"][]) =>
  file.vectors.filter((v) => kinds.includes(inputOf(v).kind)).map((v) => [v.name, v] as const);

function broken(v: Vector, rule: RuleId, what: string): string {
  return `vector "${v.name}" ${what}: rule ${rule} (${specOf(rule)}#${rule.toLowerCase()}): ${RULES[rule]}`;
}

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const INNER = Uint8Array.of(1);

/** The key prefixes, as docs/module-state.md's table writes them (the bank's are docs/encoding.md's ACCOUNT). */
const PREFIX_TEXT: Record<string, string> = Object.fromEntries(Object.entries(KEY_LAYOUT)
  .filter(([name]) => !name.startsWith("bank")).map(([name, layout]) => [name, layout.text]));

/** A key part at its stated width. */
function part(p: KeyPart): Buffer {
  const b = Buffer.alloc("u64" in p ? 8 : "u32" in p ? 4 : "u8" in p ? 1 : 0);
  if ("u64" in p) b.writeBigUInt64BE(BigInt(p.u64));
  else if ("u32" in p) b.writeUInt32BE(p.u32);
  else if ("u8" in p) b.writeUInt8(p.u8);
  else return Buffer.from(p.bytes);
  return b;
}
const keyOf = (e: RecordEntry) => Buffer.concat([Buffer.from(PREFIX_TEXT[e.prefix], "ascii"), ...e.parts.map(part)]);

/** An amount's bytes: minimal big-endian, zero empty. */
function amountBytes(n: bigint): Buffer {
  const text = n.toString(16);
  return n === 0n ? Buffer.alloc(0) : Buffer.from(text.length % 2 === 1 ? `0${text}` : text, "hex");
}

/** RFC 6962's shape over leaves taken as they are (the datanet tree): pairs 0x01 || l || r, odd last carried up. */
function datanetRoot(leaves: Uint8Array[]): Uint8Array {
  let level = leaves.length === 0 ? [sha256()] : leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? sha256(INNER, level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  return level[0];
}

/** The compact sparse Merkle tree's root, from its definition (docs/encoding.md STATE-ROOT). */
function sparseRoot(entries: { path: Uint8Array; valueHash: Uint8Array }[], depth = 0): Uint8Array {
  if (entries.length === 0) return new Uint8Array(32);
  if (entries.length === 1) return sha256(Uint8Array.of(0), entries[0].path, entries[0].valueHash);
  const bit = (p: Uint8Array) => (p[depth >> 3] >> (7 - (depth & 7))) & 1;
  return sha256(INNER, sparseRoot(entries.filter((e) => bit(e.path) === 0), depth + 1),
    sparseRoot(entries.filter((e) => bit(e.path) === 1), depth + 1));
}

/** The record a value's bytes decode to, by its rule, through the codec the modules read with. */
const DECODERS: Partial<Record<RuleId, (b: Uint8Array) => unknown>> = {
  "STAKING-VALIDATOR": stakingValidatorCodec.decode,
  "UNBONDING-LIST": unbondingListCodec.decode,
  "UNBONDING-GROUP": unbondingGroupCodec.decode,
  "STAKING-POOL": stakingPoolCodec.decode,
  "ADDRESS-LIST": addressListCodec.decode,
  "VALIDATOR-SET": decodeValidatorSet,
  "DATANET": datanetCodec.decode,
  "CONTRIBUTION": contributionCodec.decode,
  "DATANET-VERSION": datanetVersionCodec.decode,
  "DATANET-FRONTIER": datanetFrontierCodec.decode,
  "MODEL": modelCodec.decode,
  "MODEL-VERSION": modelVersionCodec.decode,
  "INFERENCE": inferenceCodec.decode,
  "REWARDS": rewardsCodec.decode,
  "INFERENCE-PAYOUTS": inferencePayoutsCodec.decode,
  "ID-LIST": idListCodec.decode,
  "GOV-PROPOSAL": proposalCodec.decode,
  "GOV-VOTE": govVoteCodec.decode,
  "GOV-PARAMS": (b) => paramsFromJson(JSON.parse(Buffer.from(b).toString("utf8"))),
};

describe("tx vectors: every message type has its sign bytes and hash pinned", () => {
  it("each case of TxBody's msg oneof (proto/opl.proto) has a tx/* vector", async () => {
    const { MODULE_MSG_CODECS } = await import("../../proto/module-msgs.ts");
    const pinned = new Set(file.vectors.map(inputOf).flatMap((input) => (input.kind === "tx" ? [input.body.msg.type] : [])));
    for (const type of ["transfer", ...Object.keys(MODULE_MSG_CODECS)]) expect(pinned.has(type as never), `a tx/* vector of ${type}`).toBe(true);
  });
});

describe("module state vectors: keys and values as docs/module-state.md states them", () => {
  it.each(ofKind("record"))("%s", (_name, v) => {
    const input = inputOf(v);
    if (input.kind !== "record") throw new Error("not a record");
    expect(v.expect["STATE-KEY"], broken(v, "STATE-KEY", "is not its prefix and parts")).toBe(hex(keyOf(input)));
    const value = hexBytes(v.expect[input.record]);
    if (input.record === "STATE-SCALAR") {
      const s = input.value;
      const stated = "amount" in s ? amountBytes(s.amount)
        : "u64" in s ? Buffer.from(s.u64.toString(16).padStart(16, "0"), "hex")
          : "address" in s ? Buffer.from(s.address) : Buffer.of(1);
      expect(hex(value), broken(v, "STATE-SCALAR", "is not the bare value")).toBe(hex(stated));
    } else {
      const decode = DECODERS[input.record];
      if (decode === undefined) throw new Error(`no decoder for ${input.record}`);
      expect(decode(value), broken(v, input.record, "does not decode to its input")).toEqual(input.value);
    }
  });

  it("every module key prefix of the spec's table is the code's, and each has a vector", async () => {
    const { MODULE_PREFIX } = await import("../../state/keys.ts");
    const pinned = new Set(ofKind("record").map(([, v]) => (inputOf(v) as RecordEntry).prefix as string));
    for (const [name, text] of Object.entries(PREFIX_TEXT)) {
      expect(Buffer.from(MODULE_PREFIX[name as keyof typeof MODULE_PREFIX]).toString("ascii"), `prefix ${name}`).toBe(text);
      expect(pinned.has(name), `a record/* vector has a key under ${text}`).toBe(true);
    }
    const bank = ["bankAccount", "bankSupply"]; // pinned by state-root/bank (docs/encoding.md ACCOUNT)
    expect(Object.keys(MODULE_PREFIX).filter((k) => !bank.includes(k)).sort(), "every prefix is in the spec's table").toEqual(Object.keys(PREFIX_TEXT).sort());
  });

  it.each(ofKind("module-state"))("%s", (_name, v) => {
    const input = inputOf(v);
    if (input.kind !== "module-state") throw new Error("not a module state");
    // Each entry's value as its record/* vector pinned it.
    const records = ofKind("record").map(([, r]) => ({ key: r.expect["STATE-KEY"], value: Object.values(r.expect)[1] }));
    const entries = input.entries.map((e) => {
      const key = hex(keyOf(e));
      const record = records.find((r) => r.key === key);
      if (record === undefined) throw new Error(`no record vector with key ${key}`);
      return { path: sha256(keyOf(e)), valueHash: sha256(hexBytes(record.value)) };
    });
    expect(v.expect["STATE-ROOT"], broken(v, "STATE-ROOT", "is not the tree's root over its entries")).toBe(hex(sparseRoot(entries)));
  });
});

describe("datanet tree vectors: the root, the frontier and the proofs as docs/module-state.md states them", () => {
  it.each(ofKind("datanet-tree"))("%s", (_name, v) => {
    const input = inputOf(v);
    if (input.kind !== "datanet-tree") throw new Error("not a datanet tree");
    const root = v.expect["DATANET-ROOT"];
    expect(root, broken(v, "DATANET-ROOT", "is not the formula's root")).toBe(hex(datanetRoot(input.leaves)));
    // The three ways the code builds this tree agree: the frontier (publish_version), the whole list (the
    // block roots' function) and the RPC's MerkleTree (datanet_proveMembership).
    expect(hex(merkleRootOfHashes(input.leaves)), broken(v, "DATANET-ROOT", "differs from merkleRootOfHashes")).toBe(root);
    expect(hex(MerkleTree.build(input.leaves.length, (i) => input.leaves[i]).root()), broken(v, "DATANET-ROOT", "differs from MerkleTree")).toBe(root);
    // The frontier: one perfect subtree root per set bit of count, largest (leftmost) first.
    const frontier = datanetFrontierCodec.decode(hexBytes(v.expect["DATANET-FRONTIER"]));
    const stated: string[] = [];
    let start = 0;
    for (let size = 2 ** 30; size >= 1; size /= 2) {
      if ((input.leaves.length & size) === 0) continue;
      stated.push(hex(datanetRoot(input.leaves.slice(start, start + size))));
      start += size;
    }
    expect(frontier.count, broken(v, "DATANET-FRONTIER", "counts another number of leaves")).toBe(input.leaves.length);
    expect(frontier.nodes.map(hex), broken(v, "DATANET-FRONTIER", "is not the perfect subtrees' roots")).toEqual(stated);
  });

  it.each(ofKind("datanet-proof"))("%s", (_name, v) => {
    const input = inputOf(v);
    if (input.kind !== "datanet-proof") throw new Error("not a datanet proof");
    const proof = v.expect["DATANET-PROOF"].split(",").map(hexBytes);
    const root = datanetRoot(input.leaves);
    // The spec's walk: at each level, a node with index i pairs with i ^ 1 if that exists, else is carried up.
    let node = input.leaves[input.index];
    let used = 0;
    for (let i = input.index, n = input.leaves.length; n > 1; i >>= 1, n = Math.ceil(n / 2)) {
      if (i % 2 === 1) node = sha256(INNER, proof[used++], node);
      else if (i + 1 < n) node = sha256(INNER, node, proof[used++]);
    }
    expect(used, broken(v, "DATANET-PROOF", "has siblings the walk does not use")).toBe(proof.length);
    expect(hex(node), broken(v, "DATANET-PROOF", "does not lead to the root")).toBe(hex(root));
    expect(verifyMerkleProof(input.leaves[input.index], input.index, input.leaves.length, proof, root),
      broken(v, "DATANET-PROOF", "is refused by crypto/merkle.ts verifyMerkleProof")).toBe(true);
  });
});

describe("key file vectors: the node reads the pinned files as the key they hold", () => {
  const dir = mkdtempSync(join(tmpdir(), "opl-kat-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyVector = (key: string) => file.vectors.find((x) => x.name === `key/${key}`)?.expect ?? {};

  it.each(ofKind("key-file"))("%s", (name, v) => {
    const input = inputOf(v);
    if (input.kind !== "key-file") throw new Error("not a key file");
    switch (input.file) {
      case "KEYRING-FILE": {
        const text = v.expect["KEYRING-FILE"];
        const key = keyVector(input.key);
        expect(JSON.parse(text), broken(v, "KEYRING-FILE", "has other fields")).toEqual({
          name: input.name, address: key["ADDRESS-TEXT"], publicKey: key["PUBLIC-KEY"], secretKey: file.keys[input.key].secretKey,
        });
        expect(text, broken(v, "KEYRING-FILE", "is not 2-space JSON with a final newline")).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
        const home = join(dir, name.replace(/\W/g, "_"));
        mkdirSync(new Keyring(home).dir, { recursive: true, mode: 0o700 });
        writeFileSync(join(new Keyring(home).dir, `${input.name}.json`), text, { mode: 0o600 });
        const entry = new Keyring(home).get(input.name);
        expect(hex(entry.secretKey), broken(v, "KEYRING-FILE", "is not read as its key")).toBe(file.keys[input.key].secretKey);
        expect(entry.address, broken(v, "KEYRING-FILE", "is not read as its address")).toBe(key["ADDRESS-TEXT"]);
        return;
      }
      case "VALIDATOR-KEY-FILE": {
        const text = v.expect["VALIDATOR-KEY-FILE"];
        const key = keyVector(input.key);
        expect(JSON.parse(text), broken(v, "VALIDATOR-KEY-FILE", "has other fields")).toEqual({
          type: "ed25519", publicKey: key["PUBLIC-KEY"], secretKey: file.keys[input.key].secretKey,
        });
        const path = join(dir, `${name.replace(/\W/g, "_")}.json`);
        writeFileSync(path, text, { mode: 0o600 });
        const loaded = loadValidatorKey(path);
        expect(hex(loaded.publicKey), broken(v, "VALIDATOR-KEY-FILE", "is not read as its key")).toBe(key["PUBLIC-KEY"]);
        expect(hex(loaded.address), broken(v, "VALIDATOR-KEY-FILE", "is not read as its address")).toBe(key.ADDRESS);
        return;
      }
      case "NODE-KEY-FILE": {
        const json = JSON.parse(input.text) as { type: string; privateKey: string };
        const raw = Buffer.from(json.privateKey, "base64");
        // libp2p's PrivateKey protobuf: Type (field 1) = 1 (Ed25519), Data (field 2) = 64 bytes: seed || public key.
        expect(json.type).toBe("ed25519");
        expect(hex(raw.subarray(0, 4)), broken(v, "NODE-KEY-FILE", "is not libp2p's Ed25519 PrivateKey")).toBe("08011240");
        const seed = raw.subarray(4, 36);
        expect(hex(raw.subarray(36)), broken(v, "NODE-KEY-FILE", "does not end in the seed's public key")).toBe(hex(publicKeyOf(seed)));
        expect(v.expect["PUBLIC-KEY"], broken(v, "NODE-KEY-FILE", "is not read as its key")).toBe(hex(publicKeyOf(seed)));
        // The peer id: base58btc of the identity multihash (0x00, length) of the public key protobuf (08 01 12 20 key).
        const multihash = Buffer.concat([Buffer.from("002408011220", "hex"), publicKeyOf(seed)]);
        expect(v.expect["NODE-KEY-FILE"], broken(v, "NODE-KEY-FILE", "is not the key's peer id")).toBe(base58btc(multihash));
        return;
      }
    }
  });
});

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58btc(bytes: Uint8Array): string {
  let n = BigInt(`0x${hex(bytes)}`);
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

describe("JSON view vectors: the RPC renders chain objects as docs/client-formats.md states", () => {
  const HEX = /^[0-9a-f]*$/;
  const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
  /** The stated rendering of one value of a record or message (not the named exceptions). */
  const stated = (x: unknown, emptyIsNull: boolean): unknown => {
    if (typeof x === "bigint") return x.toString();
    if (x instanceof Uint8Array) {
      if (x.byteLength === 0 && emptyIsNull) return null;
      return x.byteLength === 20 ? encodeAddress(x) : hex(x);
    }
    if (Array.isArray(x)) return x.map((y) => stated(y, false));
    if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, stated(y, false)]));
    return x;
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  it.each(ofKind("json-view"))("%s", (_name, v) => {
    const input = inputOf(v);
    if (input.kind !== "json-view") throw new Error("not a JSON view");
    const json = JSON.parse(v.expect[input.view]) as Record<string, unknown>;
    const why = broken(v, input.view, "is not rendered as stated");
    switch (input.view) {
      case "JSON-HEADER": {
        const h = input.value;
        expect(json, why).toEqual({
          chainId: h.chainId, height: h.height, time: iso(h.timeMs), lastBlockHash: hex(h.lastBlockHash),
          lastCommitHash: hex(h.lastCommitHash), txsRoot: hex(h.txsRoot), stateRoot: hex(h.stateRoot),
          resultsRoot: hex(h.resultsRoot), validatorsHash: hex(h.validatorsHash),
          nextValidatorsHash: hex(h.nextValidatorsHash),
          proposer: encodeAddress(h.proposerAddress), evidenceRoot: hex(h.evidenceRoot),
        });
        return;
      }
      case "JSON-COMMIT": {
        const c = input.value;
        expect(json, why).toEqual({
          height: c.height, round: c.round, blockHash: hex(c.blockHash),
          signatures: c.signatures.map((s) => ({
            validator: encodeAddress(s.validatorAddress), time: iso(s.timeMs), signature: Buffer.from(s.signature).toString("base64"),
          })),
        });
        return;
      }
      case "JSON-VALIDATOR-SET":
        expect(json, why).toEqual(input.value.map((x) => ({
          address: encodeAddress(x.address), pubkey: hex(x.pubkey), power: x.power,
        })));
        return;
      case "JSON-TX": {
        const b = input.value;
        expect(json, why).toEqual({
          chainId: b.chainId, sender: encodeAddress(sha256(b.senderPubkey).subarray(0, 20)),
          senderPubKey: Buffer.from(b.senderPubkey).toString("base64"), nonce: b.nonce, fee: b.fee.toString(), msg: stated(b.msg, false),
        });
        expect(json.senderPubKey, why).toMatch(BASE64);
        return;
      }
      case "JSON-RESULT": {
        const r = input.value;
        expect(json, why).toEqual({
          code: r.code, log: r.log,
          events: r.events.map((e) => ({
            type: e.type, attributes: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])),
          })),
        });
        return;
      }
      case "JSON-RECORD":
        expect(json, why).toEqual(Object.fromEntries(
          Object.entries(input.value).map(([k, x]) => [k, stated(x, true)])));
        for (const [k, x] of Object.entries(json)) if (k.endsWith("Hash") && x !== null) expect(x, why).toMatch(HEX);
        return;
      case "JSON-PAYOUTS": {
        const p = input.value;
        expect(json, why).toEqual({
          inferenceId: p.inferenceId, modelId: p.modelId, price: p.price.toString(), treasury: p.treasury.toString(),
          owner: { address: encodeAddress(p.owner), amount: p.ownerAmount.toString() },
          contributions: p.credits.map((c) => ({
            weight: c.weight, contributionId: c.contributionId, contributor: encodeAddress(c.contributor),
            amount: c.amount.toString(),
          })),
        });
        return;
      }
    }
  });
});
