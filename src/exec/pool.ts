/**
 * Runs `fn` over `items` with at most `limit` in flight and settles every item (one bad item never
 * blocks the rest, unlike a fail-fast pool). `shouldStart` is checked before each item starts, so a
 * run timeout stops new work while work in flight finishes.
 */
export async function settlePool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  shouldStart: () => boolean = () => true,
): Promise<{ started: R[]; notStarted: T[] }> {
  const started: R[] = [];
  const notStarted: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      if (!shouldStart()) {
        notStarted.push(item);
        continue;
      }
      started.push(await fn(item));
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return { started, notStarted };
}
