// Errors in words: what the user sees when something fails (never a stack trace). The data layer's
// own errors (StorageQuotaError, StoreClosedError, ImportRejectedError, MappingError…) already say
// what happened and what to do; errors that crossed a worker boundary keep only name and message.

const NETWORK = /failed to fetch|networkerror|load failed|network request failed/i;

export function describeError(e: unknown): string {
  if (e === null || e === undefined) return 'Something failed without saying why. Reload the page and try again.';
  if (typeof e === 'string') return e;
  const { name, message } = e as { name?: string; message?: string };
  if (name === 'AbortError') return 'Cancelled.';
  if (name === 'QuotaExceededError') return 'The browser ran out of storage; nothing was saved. Free space by deleting old runs or datasets, then try again.';
  if (name === 'TypeError' && message && NETWORK.test(message)) {
    return 'The studio server cannot be reached. Check that `npm start` is still running, then try again.';
  }
  if (message) return message;
  return `${name ?? 'Error'} (no details given). Reload the page and try again.`;
}
