/**
 * A bounded pool that settles every item: at most `limit` items run at once, one item that throws
 * never stops or loses the others (unlike a fail-fast pool), and `shouldStart` is checked before
 * each item starts, so a run timeout stops new work while work in flight finishes.
 */

/** What became of each item. */
export interface PoolResult<T, R> {
  /** Items that ran, with their value or the error they threw, in completion order. */
  settled: ({ item: T; ok: true; value: R } | { item: T; ok: false; error: unknown })[];
  /** Items `shouldStart` kept from starting, in input order. */
  notStarted: T[];
}

/**
 * Runs `fn` over `items` with at most `limit` in flight.
 * @throws RangeError when `limit` is not a whole number of at least 1
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { settlePool } from "./pool.ts";
 * const r = await settlePool([1, 2, 3], 2, async (n) => {
 *   if (n === 2) throw new Error("two");
 *   return n * 10;
 * });
 * assertEquals(r.settled.filter((s) => s.ok).length, 2);
 * assertEquals(r.settled.filter((s) => !s.ok).length, 1);
 * ```
 */
export async function settlePool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  shouldStart: () => boolean = () => true,
): Promise<PoolResult<T, R>> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`Cannot run a pool of ${limit}: the limit must be a whole number >= 1`);
  }
  const result: PoolResult<T, R> = { settled: [], notStarted: [] };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      if (!shouldStart()) {
        result.notStarted.push(item);
        continue;
      }
      try {
        result.settled.push({ item, ok: true, value: await fn(item) });
      } catch (error) {
        result.settled.push({ item, ok: false, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return result;
}
