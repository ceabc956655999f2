import { existsSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { STEP_PRECOMMIT } from "../../consensus/signer-guard.ts";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { DoubleSignRefusedError, GuardedSigner, readSignerState, SignerStateDamagedError } from "../../node/signer.ts";
import { signerFixture } from "../helpers/signer-fixture.ts";

/** The signer state file as read at start-up: what is refused as damaged, and what an older file may be. */

describe("the signer state file", () => {
  it("invalid JSON is a damaged signer state, with what to do", () => {
    const { state } = signerFixture();
    writeFileSync(state, "{\"height\": 12, \"round");
    expect(() => readSignerState(state)).toThrow(SignerStateDamagedError);
    expect(() => readSignerState(state)).toThrow(/damaged.*--unsafe-recover-signer-state/s);
  });

  it("a file of an earlier version (no check) is read if its signature is this key's over its sign bytes", () => {
    const { key, state, audit } = signerFixture();
    const payload = sha256(new TextEncoder().encode("a precommit"));
    const signature = toBase64(key.sign(payload));
    const old = { height: 9, round: 1, step: STEP_PRECOMMIT, payload: toHex(payload), signature };
    writeFileSync(state, JSON.stringify(old));
    const signer = new GuardedSigner(key, state, audit);
    expect(signer.lastSigned).toMatchObject({ height: 9, round: 1, step: STEP_PRECOMMIT });
    expect(() => signer.sign({ height: 9, round: 0, step: STEP_PRECOMMIT, signBytes: payload })).toThrow(
      DoubleSignRefusedError,
    );
  });

  it("a file of an earlier version whose signature does not match its sign bytes is refused as damaged", () => {
    const { key, state, audit } = signerFixture();
    const payload = sha256(new TextEncoder().encode("a precommit"));
    const signature = key.sign(payload);
    payload[0] ^= 0x01; // a flipped byte on disk
    const old = { height: 9, round: 1, step: STEP_PRECOMMIT, payload: toHex(payload), signature: toBase64(signature) };
    writeFileSync(state, JSON.stringify(old));
    expect(() => new GuardedSigner(key, state, audit)).toThrow(SignerStateDamagedError);
  });

  it("sign bytes or a signature of the wrong form are refused as damaged", () => {
    const { state } = signerFixture();
    writeFileSync(state, JSON.stringify({ height: 9, round: 1, step: 3, payload: "aa", signature: "" }));
    expect(() => readSignerState(state)).toThrow(SignerStateDamagedError);
  });

  it("a temp file a killed process left mid-write is removed when the signer loads, the live state kept", async () => {
    const { key, state, audit } = signerFixture();
    const first = new GuardedSigner(key, state, audit);
    await first.sign({ height: 3, round: 0, step: STEP_PRECOMMIT, signBytes: sha256(Uint8Array.of(3)) }).durable;
    const dead = `${state}.tmp-2147483646`; // no such process
    writeFileSync(dead, "{\"height\": 4");
    const second = new GuardedSigner(key, state, audit);
    expect(existsSync(dead)).toBe(false);
    expect(second.lastSigned).toMatchObject({ height: 3, step: STEP_PRECOMMIT });
  });
});
