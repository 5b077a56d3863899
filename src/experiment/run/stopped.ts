// Stopping: work its requester ended on purpose (the Stop button, a client that went away) is
// stopped, not failed. One concept with one status: everything that stops throws a Stopped (or a
// subclass), and every record of the work — a run's state.json, the studio's run record — says
// 'stopped'. A stopped run resumes where it stopped when started again.

export class Stopped extends Error {
  override name = 'Stopped';
  readonly status = 'stopped' as const;
}

/** The status a record of work that ended with `error` gets: 'stopped' for a stop, else 'failed'. */
export function endStatus(error: unknown): 'stopped' | 'failed' {
  return error instanceof Stopped ? 'stopped' : 'failed';
}
