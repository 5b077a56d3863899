// The Web Lock a run's trainer worker holds while it runs. Shared by the worker and the pages, so it
// must stay free of Svelte state (the worker bundle is built without the Svelte compiler).
const RUN_LOCK = 'lantern-run:';

/** The lock's name: a "running" record nobody holds was interrupted. */
export const runLockName = (runId: string) => `${RUN_LOCK}${runId}`;

/** Ids of runs some tab is running now. */
export async function liveRunIds(): Promise<Set<string>> {
  if (!navigator.locks) return new Set();
  const { held = [] } = await navigator.locks.query();
  return new Set(held.map((l) => l.name ?? '').filter((n) => n.startsWith(RUN_LOCK)).map((n) => n.slice(RUN_LOCK.length)));
}
