import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { checkParams, MAX_EVIDENCE_AGE_BLOCKS } from "../../state/params-check.ts";

/** The rules between params, checked for genesis and for every governance change alike. */
describe("params checks", () => {
  it("the defaults pass", () => {
    expect(() => checkParams(DEFAULT_PARAMS)).not.toThrow();
  });

  it("a whole version's most recipients must fit one block's reward credits", () => {
    const a = DEFAULT_PARAMS.attribution;
    const over = { ...a, maxVersionRecipients: a.maxBlockCredits + 1 };
    // Such a record could never succeed, yet would pay its fee every time.
    expect(() => checkParams({ ...DEFAULT_PARAMS, attribution: over })).toThrow(
      "params.attribution.maxVersionRecipients must be at most maxBlockCredits",
    );
    const equal = { ...over, maxVersionRecipients: over.maxBlockCredits };
    expect(() => checkParams({ ...DEFAULT_PARAMS, attribution: equal })).not.toThrow();
  });

  it("an evidence window is at most MAX_EVIDENCE_AGE_BLOCKS heights: a slash reads a key per height of it", () => {
    const s = { ...DEFAULT_PARAMS.staking, unbondingBlocks: 10 ** 9 };
    const at = { ...DEFAULT_PARAMS, staking: { ...s, maxEvidenceAgeBlocks: MAX_EVIDENCE_AGE_BLOCKS } };
    expect(() => checkParams(at)).not.toThrow();
    const over = { ...DEFAULT_PARAMS, staking: { ...s, maxEvidenceAgeBlocks: MAX_EVIDENCE_AGE_BLOCKS + 1 } };
    expect(() => checkParams(over)).toThrow(`params.staking.maxEvidenceAgeBlocks must be at most ${MAX_EVIDENCE_AGE_BLOCKS}`);
  });
});
