/**
 * An exact, append-only string → uint32 index for millions of keys in little memory: key bytes live in one
 * growing byte arena, entries in typed arrays, lookup through an open-addressing hash table. About 20 bytes plus
 * the key's UTF-8 length per entry, nothing per entry on the JS heap — a `Map<string, …>` of a million SKUs costs
 * ~75 bytes per entry plus garbage-collector slack, which is what made a 1M-item read peak near 0.5 GB.
 */
export class KeyIndex {
  private arena = Buffer.alloc(1 << 16);
  private used = 0;
  /** Entry i's key is arena[starts[i], starts[i + 1]). */
  private starts = new Uint32Array(1 << 12);
  private values = new Uint32Array(1 << 12);
  private hashes = new Uint32Array(1 << 12);
  /** Slots hold entry index + 1; 0 is empty. Kept at most 3/4 full (linear probing stays short; half the table of 1/2). */
  private table = new Int32Array(1 << 13);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Entry index of `key`, or -1. */
  find(key: string): number {
    const len = this.stage(key);
    return this.lookup(len, hashOf(this.arena, this.used, len));
  }

  /** Adds `key` (which must not be present) with `value` (a uint32); returns its entry index. */
  add(key: string, value: number): number {
    const len = this.stage(key);
    const h = hashOf(this.arena, this.used, len);
    if (this.lookup(len, h) !== -1) throw new Error(`KeyIndex: duplicate key ${JSON.stringify(key)}`);
    if (this.count + 1 >= this.starts.length) this.growEntries();
    if ((this.count + 1) * 4 > this.table.length * 3) this.rehash(this.table.length * 2);
    const i = this.count++;
    this.starts[i] = this.used;
    this.used += len;
    this.starts[i + 1] = this.used;
    this.values[i] = value;
    this.hashes[i] = h;
    this.place(i, h);
    return i;
  }

  keyAt(i: number): string {
    return this.arena.toString('utf8', this.starts[i], this.starts[i + 1]);
  }

  valueAt(i: number): number {
    return this.values[i];
  }

  /** Writes the key's bytes after the used part of the arena (tentatively: `used` moves only in `add`). */
  private stage(key: string): number {
    const need = Buffer.byteLength(key);
    if (this.used + need > this.arena.length) {
      const bigger = Buffer.alloc(Math.max(Math.ceil(this.arena.length * 1.5), this.used + need));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    return this.arena.write(key, this.used, 'utf8');
  }

  private lookup(len: number, h: number): number {
    const mask = this.table.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.table[s] - 1;
      if (e === -1) return -1;
      if (this.hashes[e] === h && this.starts[e + 1] - this.starts[e] === len && this.arena.compare(this.arena, this.used, this.used + len, this.starts[e], this.starts[e + 1]) === 0) {
        return e;
      }
    }
  }

  private place(i: number, h: number): void {
    const mask = this.table.length - 1;
    let s = h & mask;
    while (this.table[s] !== 0) s = (s + 1) & mask;
    this.table[s] = i + 1;
  }

  /** Entry arrays grow by half (not double): a million keys leave less unused capacity behind. */
  private growEntries(): void {
    const n = Math.ceil(this.starts.length * 1.5);
    const grow = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.values = grow(this.values);
    this.hashes = grow(this.hashes);
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let i = 0; i < this.count; i++) this.place(i, this.hashes[i]);
  }
}

/** FNV-1a over bytes [start, start + len). */
function hashOf(buf: Buffer, start: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < start + len; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}
