/**
 * How long a failed delivery waits before its next attempt: exponential back-off with full jitter
 * (a random wait up to base * 2^(attempt-1), at most `maxMs`), so receivers coming back from an
 * outage are not hit by every sender at once. `attempt` is the number of the attempt that failed.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  return Math.floor(random() * ceiling);
}

/** After attempt `attempt` (of this round, which began after `roundStart` attempts) failed: another, or dead. */
export function isLastAttempt(attempts: number, roundStart: number, maxAttempts: number): boolean {
  return attempts - roundStart >= maxAttempts;
}
