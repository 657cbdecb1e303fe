/**
 * A small least-recently-used map bounded by a weight (entry count by default, bytes for buffers). Map keeps
 * insertion order, so re-inserting on hit makes the first key the least recently used.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    const weight = this.weigh(value);
    if (weight > this.capacity) return;
    this.delete(key);
    this.map.set(key, value);
    this.total += weight;
    while (this.total > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const value = this.map.get(key);
    if (value === undefined) return;
    this.map.delete(key);
    this.total -= this.weigh(value);
  }

  /** Removes every entry the predicate selects (used to invalidate by repository). */
  deleteWhere(predicate: (key: K, value: V) => boolean): void {
    for (const [k, v] of this.map) if (predicate(k, v)) this.delete(k);
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
