import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export type Load<T> = { state: 'idle' } | { state: 'loading' } | { state: 'error'; message: string } | { state: 'done'; value: T };

export const messageOf = (error: unknown) =>
  error instanceof ApiError
    ? error.shown
    : error instanceof Error && error.message
      ? error.message
      : 'Something went wrong. Please try again.';

/** Runs `task` on demand and keeps its loading, error and result states. */
export function useTask<T, A extends unknown[]>(task: (...args: A) => Promise<T>): [Load<T>, (...args: A) => Promise<void>] {
  const [load, setLoad] = useState<Load<T>>({ state: 'idle' });
  const run = useCallback(
    async (...args: A) => {
      setLoad({ state: 'loading' });
      try {
        setLoad({ state: 'done', value: await task(...args) });
      } catch (error) {
        setLoad({ state: 'error', message: messageOf(error) });
      }
    },
    [task],
  );
  return [load, run];
}

/** Runs `task` once on mount (and when `deps` change). */
export function useLoad<T>(task: () => Promise<T>, deps: unknown[]): Load<T> {
  const [load, run] = useTask(task);
  useEffect(() => void run(), deps);
  return load;
}

export function Status({ load, empty, children }: { load: Load<unknown>; empty?: boolean; children?: ComponentChildren }) {
  if (load.state === 'loading')
    return (
      <p class="status" role="status">
        Loading…
      </p>
    );
  if (load.state === 'error')
    return (
      <p class="error" role="alert">
        {load.message}
      </p>
    );
  if (load.state === 'done' && empty) return <p class="status">Nothing to show.</p>;
  return <>{children}</>;
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <small>{hint}</small>}
    </label>
  );
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
export const when = (iso: string | null | undefined) => (iso ? `${dateTime.format(new Date(iso))} UTC` : '—');

/** A count, or the word "suppressed" for a cell withheld by disclosure control (never zero). */
export const count = (value: number | null | undefined, suppressed: boolean) =>
  suppressed || value === null || value === undefined ? 'suppressed' : value.toLocaleString('en-GB');

/** A `datetime-local` value (UTC) to ISO, or undefined when empty. */
export const isoOf = (local: string) => (local ? new Date(`${local}:00Z`).toISOString() : undefined);
