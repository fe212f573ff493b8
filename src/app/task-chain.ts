// The controller's one rule of concurrency: a task (a run, a model load, a profile) starts only
// once the one before it has settled, so only one of them ever uses the engines. Each new task is
// chained after the latest; a failed one does not stop the next.
export class TaskChain {
  private latest: Promise<void> = Promise.resolve();

  /** Runs `task` after every task queued before it; returns its promise (which may reject). */
  then(task: () => Promise<void>): Promise<void> {
    const previous = this.latest;
    const next = previous.catch(() => {}).then(task);
    this.latest = next;
    return next;
  }
}
