import { z } from "zod";
import { heightSchema } from "./schemas.ts";

/** Param schemas shared by the module query methods: ids, and the paging of list methods. */

export function idSchema(what: string) {
  return z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .min(1, `${what} must be >= 1 (ids start at 1)`)
    .max(Number.MAX_SAFE_INTEGER, `${what} is too large`);
}

/** 20 items a page unless asked; 100 at most, so one request stays cheap. */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/**
 * Longest cursor a list method takes: the hex of a key's id part, 40 characters at most today (an address). The
 * bound is checked before anything reads the text (listAt's pattern took ~60 ms over a megabyte on its first run).
 */
export const MAX_CURSOR_CHARS = 128;

/** Optional height, cursor and limit: what every list method takes besides its filters. */
export const pageParams = {
  height: heightSchema.optional(),
  cursor: z
    .string({ error: "cursor must be a string (the nextCursor of a previous page)" })
    .max(MAX_CURSOR_CHARS, { abort: true, error: `cursor must be at most ${MAX_CURSOR_CHARS} characters (the nextCursor of a previous page)` })
    .optional(),
  limit: z
    .number({ error: "limit must be a number" })
    .int("limit must be an integer")
    .min(1, "limit must be >= 1")
    .max(MAX_LIMIT, `limit must be <= ${MAX_LIMIT}`)
    .default(DEFAULT_LIMIT),
};

/** True when exactly one of the values is given (for "one of these filters" params). */
export function exactlyOne(...values: unknown[]): boolean {
  return values.filter((v) => v !== undefined).length === 1;
}
