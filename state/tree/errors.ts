/**
 * A height whose state history was pruned (`[state] keep_recent`): nothing can be proved or read there. The
 * message names the oldest height still available, which is what the asker can use instead.
 */
export class PrunedHeightError extends Error {
  override name = "PrunedHeightError";
  readonly height: number;
  readonly oldestAvailable: number;

  constructor(height: number, oldestAvailable: number) {
    super(
      `the state at height ${height} was pruned (this node keeps the recent heights only): ` +
      `the oldest height still available is ${oldestAvailable}`,
    );
    this.height = height;
    this.oldestAvailable = oldestAvailable;
  }
}

/**
 * A tree node (or a height's root record) that must be on disk is not, or does not decode: the database is
 * damaged. The state tree cannot be trusted past it.
 */
export class TreeNodeMissingError extends Error {
  override name = "TreeNodeMissingError";
}

/** A height above the latest committed one: no state exists there yet. */
export class FutureHeightError extends Error {
  override name = "FutureHeightError";
}
