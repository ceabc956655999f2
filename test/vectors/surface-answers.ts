import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { mnemonicToSecretKey } from "../../crypto/mnemonic.ts";
import type { Commit, Header, Validator } from "../../proto/block.ts";
import type { Contribution, Datanet, Inference, InferencePayouts, Model } from "../../proto/module-records.ts";
import type { TxResult } from "../../proto/records.ts";
import type { TxBody } from "../../proto/tx.ts";
import { Keyring } from "../../node/keyring.ts";
import { loadNodeKey } from "../../node/node-key.ts";
import { createValidatorKey } from "../../node/validator-key.ts";
import { payoutsView, recordView } from "../../rpc/module-views.ts";
import { commitView, headerFieldsView, resultView, txBodyView, validatorSetView } from "../../rpc/views.ts";

/**
 * Known answers of what a client reads and writes besides signed bytes: the key files in the home directory
 * (node/keyring.ts, node/validator-key.ts, node/node-key.ts) and the JSON the RPC renders chain objects as
 * (rpc/views.ts, rpc/module-views.ts). Rules stated in docs/client-formats.md.
 */

export const SURFACE_RULES = {
  "KEYRING-FILE": "an account key is <home>/keyring/<name>.json, mode 0600 in a 0700 directory, unencrypted: " +
    "JSON {name, address (bech32), publicKey (hex), secretKey (hex of the 32-byte ed25519 seed)}, 2-space " +
    "indented, a final newline; only secretKey is read back (address and public key are derived again)",
  "VALIDATOR-KEY-FILE": "a validator's consensus key file (config/validator_key.json) is unencrypted JSON " +
    "{type: \"ed25519\", publicKey (hex), secretKey (hex of the 32-byte seed)}, mode 0600; only secretKey is read back",
  "NODE-KEY-FILE": "a node's network key file (config/node_key.json) is unencrypted JSON {type: \"ed25519\", " +
    "privateKey: base64 of libp2p's PrivateKey protobuf {Type=1: 1 (Ed25519), Data=2: seed || public key}}, " +
    "mode 0600; its peer id is libp2p's (identity multihash of the public key protobuf, base58btc)",
  "MNEMONIC-KEY": "an account key from a 24-word BIP-39 mnemonic (english): BIP-39's seed (PBKDF2-HMAC-SHA512, " +
    "2048 rounds, salt \"mnemonic\", no passphrase), then SLIP-0010 ed25519 at m/44'/6174'/0'/0'/0' gives the " +
    "32-byte secret key (hex here) a keyring file holds",
  "JSON-HEADER": "a header in JSON: hashes and roots lowercase hex, the proposer bech32, height a number, " +
    "time ISO 8601 UTC with milliseconds, an empty hash \"\"",
  "JSON-COMMIT": "a commit in JSON: blockHash hex, each signature {validator: bech32, time: ISO 8601, " +
    "signature: standard base64}",
  "JSON-VALIDATOR-SET": "a validator set in JSON: [{address: bech32 consensus address, pubkey: hex, power: number}]",
  "JSON-TX": "a tx body in JSON: chainId, sender (bech32), senderPubKey (standard base64), nonce (number), fee " +
    "(decimal string of base units), msg: its fields by name with amounts decimal strings, 20-byte values bech32, " +
    "other bytes hex, ids and counts numbers",
  "JSON-RESULT": "a tx result in JSON: {code, log, events: [{type, attributes: an object of key -> value}]}",
  "JSON-RECORD": "a module record in JSON: its fields by name, amounts decimal strings, 20-byte values bech32, " +
    "other bytes hex, an empty optional byte field null, ids, heights and counts numbers",
  "JSON-PAYOUTS": "an inference's payouts in JSON: amounts decimal strings, owner {address, amount}, " +
    "contributions [{weight, contributionId, contributor (bech32), amount}]",
} as const;

export type SurfaceRuleId = keyof typeof SURFACE_RULES;

export type JsonViewInput =
  | { view: "JSON-HEADER"; value: Header }
  | { view: "JSON-COMMIT"; value: Commit }
  | { view: "JSON-VALIDATOR-SET"; value: Validator[] }
  | { view: "JSON-TX"; value: TxBody }
  | { view: "JSON-RESULT"; value: TxResult }
  | { view: "JSON-RECORD"; value: Datanet | Contribution | Model | Inference }
  | { view: "JSON-PAYOUTS"; value: InferencePayouts };

export type SurfaceVectorInput =
  | { kind: "key-file"; file: "KEYRING-FILE"; key: string; name: string }
  | { kind: "key-file"; file: "VALIDATOR-KEY-FILE"; key: string }
  | { kind: "key-file"; file: "NODE-KEY-FILE"; text: string }
  | { kind: "mnemonic-key"; mnemonic: string }
  | ({ kind: "json-view" } & JsonViewInput);

/** The JSON the RPC answers with for one object, as text (JSON.stringify, keys in the order the view gives). */
export function jsonView(input: JsonViewInput): unknown {
  switch (input.view) {
    case "JSON-HEADER": return headerFieldsView(input.value);
    case "JSON-COMMIT": return commitView(input.value);
    case "JSON-VALIDATOR-SET": return validatorSetView(input.value);
    case "JSON-TX": return txBodyView(input.value, addressFromPublicKey(input.value.senderPubkey));
    case "JSON-RESULT": return resultView(input.value);
    case "JSON-RECORD": return recordView(input.value);
    case "JSON-PAYOUTS": return payoutsView(input.value);
  }
}

/** Runs `fn` with a fresh temp directory, removed afterwards. */
function inTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "opl-kat-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function surfaceAnswers(
  input: SurfaceVectorInput,
  keys: Record<string, { secretKey: string }>,
): [SurfaceRuleId | "PUBLIC-KEY", string][] {
  const secret = (name: string) => {
    const bytes = fromHex(keys[name]?.secretKey ?? "");
    if (bytes === undefined) throw new Error(`the fixture has no key named "${name}"`);
    return bytes;
  };
  switch (input.kind) {
    case "json-view":
      return [[input.view, JSON.stringify(jsonView(input))]];
    case "mnemonic-key":
      return [["MNEMONIC-KEY", toHex(mnemonicToSecretKey(input.mnemonic))]];
    case "key-file":
      switch (input.file) {
        // The bytes the node writes for a key (what another tool must read, and write to be read).
        case "KEYRING-FILE":
          return inTempDir((home) => {
            const keyring = new Keyring(home);
            keyring.add(input.name, secret(input.key));
            return [["KEYRING-FILE", readFileSync(join(keyring.dir, `${input.name}.json`), "utf8")]];
          });
        case "VALIDATOR-KEY-FILE":
          return inTempDir((dir) => {
            const path = join(dir, "validator_key.json");
            createValidatorKey(path, secret(input.key));
            return [["VALIDATOR-KEY-FILE", readFileSync(path, "utf8")]];
          });
        // A node key is generated at random (never from a seed): the vector pins what a given file means.
        case "NODE-KEY-FILE":
          return inTempDir((dir) => {
            const path = join(dir, "node_key.json");
            writeFileSync(path, input.text, { mode: 0o600 }); // the loaders refuse a key file others may read
            const { privateKey, peerId } = loadNodeKey(path);
            return [["PUBLIC-KEY", Buffer.from(privateKey.publicKey.raw).toString("hex")], ["NODE-KEY-FILE", peerId]];
          });
      }
  }
}
