import type { Principal } from '../auth/principal';
import type { TokenClaims } from '../auth/tokens';

/** Close codes, as graphql-ws defines them (4401, 4403) plus ours for a principal's socket limit. */
export const CloseCode = {
  Unauthorized: 4401,
  Forbidden: 4403,
  /** graphql-ws's "too many" code; its client does not retry it. */
  TooManyConnections: 4429,
} as const;

/** The most notices one subscription holds back while the client reads slowly; older ones are dropped (the inbox has them). */
const MAX_BUFFERED = 100;

/**
 * A push-fed async iterator: `push` hands a value to the waiting `next()` or buffers it; `end`
 * finishes it at once, even while a `next()` is waiting (an async generator's `return()` would wait
 * for the next value first).
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting?: (result: IteratorResult<T>) => void;
  private ended = false;

  constructor(private readonly onEnd: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting({ value, done: false });
    else {
      this.buffer.push(value);
      if (this.buffer.length > MAX_BUFFERED) this.buffer.shift();
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer.length = 0;
    this.onEnd();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * One authenticated socket: who it acts for (refreshed by each check), the token it was opened
 * with (its expiry closes the socket), and the notice ids waiting for each of its subscriptions.
 */
export class LiveConnection {
  private readonly channels = new Set<Channel<string>>();
  private expiryTimer?: NodeJS.Timeout;
  closed = false;

  constructor(
    public principal: Principal,
    readonly claims: TokenClaims,
    readonly requestId: string,
    private readonly closeSocket: (code: number, reason: string) => void,
  ) {
    // The socket lives no longer than its token: the client reconnects with a fresh one.
    const ms = claims.exp * 1000 - Date.now();
    this.expiryTimer = setTimeout(() => this.close(CloseCode.Unauthorized, 'Token expired'), Math.max(0, ms));
    this.expiryTimer.unref();
  }

  get subscriptionCount(): number {
    return this.channels.size;
  }

  /** A new subscription's queue of notice ids; ended when the client completes it or the socket closes. */
  openChannel(): Channel<string> {
    const channel: Channel<string> = new Channel(() => this.channels.delete(channel));
    this.channels.add(channel);
    return channel;
  }

  /** Hands a notice delivered to this principal to each of its subscriptions. */
  deliver(eventId: string): void {
    for (const channel of this.channels) channel.push(eventId);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const channel of [...this.channels]) channel.end();
    this.closeSocket(code, reason);
  }
}

/** The live sockets of this instance, by principal: for the per-principal limit and for routing notices. */
export class ConnectionRegistry {
  private readonly byPrincipal = new Map<string, Set<LiveConnection>>();

  /** Adds the socket unless its principal already has `max` open here; says whether it was added. */
  add(connection: LiveConnection, max: number): boolean {
    const id = connection.principal.id;
    const open = this.byPrincipal.get(id) ?? new Set();
    if (open.size >= max) return false;
    open.add(connection);
    this.byPrincipal.set(id, open);
    return true;
  }

  remove(connection: LiveConnection): void {
    const open = this.byPrincipal.get(connection.principal.id);
    open?.delete(connection);
    if (open?.size === 0) this.byPrincipal.delete(connection.principal.id);
  }

  forPrincipal(id: string): LiveConnection[] {
    return [...(this.byPrincipal.get(id) ?? [])];
  }

  all(): LiveConnection[] {
    return [...this.byPrincipal.values()].flatMap((set) => [...set]);
  }
}
