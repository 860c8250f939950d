/** How many order numbers remember that their requests went through with the previous key. */
const MAX_REMEMBERED = 1000;

/**
 * Which of two clients (the key in force, the previous key HQ sealed beside it) a wallet request goes to first, for a
 * channel that checks one key at a time (WeChat Pay v2, Alipay): the key in force, unless an earlier request of the
 * same order / refund number went through only with the previous key — then its follow-ups (query, reverse, refund)
 * start there. After a request was refused for its signature on the first and answered on the second, {@link settled}
 * records which one worked (at most {@link MAX_REMEMBERED} numbers, the oldest forgotten first) and tells `onUsed`
 * when it was the previous key.
 */
export class KeyOrder<C> {
  /** Order / refund numbers whose requests went through with the previous key (oldest first). */
  private readonly onPrevious = new Set<string>();

  /** [first, second] for a request of number `id` (undefined: no number, the key in force first). */
  order(id: string | undefined, current: C, previous: C): [C, C] {
    return id !== undefined && this.onPrevious.has(id) ? [previous, current] : [current, previous];
  }

  /** The request of number `id` went through on `second` (after `first` refused its signature). */
  settled(id: string | undefined, second: C, previous: C, onUsed: () => void): void {
    if (id !== undefined) {
      this.onPrevious.delete(id);
      if (second === previous) {
        this.onPrevious.add(id);
        if (this.onPrevious.size > MAX_REMEMBERED) this.onPrevious.delete(this.onPrevious.values().next().value!);
      }
    }
    if (second === previous) onUsed();
  }
}
