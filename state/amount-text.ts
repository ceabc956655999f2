/**
 * Amounts as the decimal text events carry, the last one remembered, one instance per call site: every
 * transfer's result names its fee (the same in nearly every tx) and its amount (often the same from tx to
 * tx), so most calls make no string. Pure: the text is a function of the amount.
 */
export class AmountText {
  private last = -1n;
  private text = "";

  of(amount: bigint): string {
    if (amount !== this.last) {
      this.text = amount.toString();
      this.last = amount;
    }
    return this.text;
  }
}
