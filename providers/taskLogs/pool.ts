/**
 * Runs `work` over `items`, at most `width` at a time, in order of the list. After the first failure no new
 * item is started; the items already in flight are awaited (so nothing still runs once this settles) and the
 * first error is rethrown. `stopped()` tells work in flight that another item has failed. `onDone` is called
 * with the running count of items that finished.
 */
export async function runPool<T>(
  items: readonly T[],
  width: number,
  work: (item: T, stopped: () => boolean) => Promise<void>,
  onDone: (done: number) => void = () => undefined,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  let next = 0;
  let done = 0;
  const stopped = () => failure !== undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++];
      try {
        await work(item, stopped);
      } catch (error) {
        failure ??= { error };
        return;
      }
      done++;
      onDone(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  if (failure) throw failure.error;
}
