import type { Logger } from 'pino';

export interface PeriodicTask {
  /** No further runs; resolves once a run in progress has finished (shutdown closes the pool next). */
  stop(): Promise<void>;
}

/**
 * Runs `task` now and every `intervalMs` while the service runs, never two at once. A failure is
 * logged and retried next time; it never touches requests. The timer does not keep the process alive.
 */
export function runPeriodically(name: string, intervalMs: number, logger: Logger, task: () => Promise<void>): PeriodicTask {
  let current: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (current || stopped) return;
    current = task()
      .catch((err: unknown) => logger.error({ err }, `${name} failed`))
      .finally(() => (current = null));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
