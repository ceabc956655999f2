/**
 * Bounds shared by the node and the light client, in a file that imports nothing so both can use the one
 * constant (proto/block-caps.ts takes its validator cap from here).
 */

/**
 * The most validators a set may hold, so the most signatures in a commit: a chain's maxValidators param is
 * capped by it, and the light client refuses a larger set or commit before hashing or verifying anything (a
 * lying node could otherwise make it check signatures for minutes).
 */
export const MAX_VALIDATORS = 1_000;
