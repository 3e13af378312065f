import type { Logger } from 'pino';

/**
 * Runs `task` now and every `intervalMs` while the service runs, never two at once. A failure is
 * logged and retried next time; it never touches requests. The timer does not keep the process alive.
 */
export function runPeriodically(name: string, intervalMs: number, logger: Logger, task: () => Promise<void>): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      logger.error({ err }, `${name} failed`);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
