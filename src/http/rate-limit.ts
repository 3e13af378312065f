import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import type { RequestContext } from '../context/request-context';
import { fragmentsOf } from '../graphql/limits';

/** Counts hits in fixed windows; the window starts at a key's first hit. */
export interface RateLimitStore {
  hit(key: string, cost: number, windowSeconds: number): Promise<{ count: number; resetSeconds: number }>;
  close(): Promise<void>;
}

/** One process's counters: enough for a single instance (and the embedded demo). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper = setInterval(() => {
    const now = Date.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }, 60_000).unref();

  hit(key: string, cost: number, windowSeconds: number) {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowSeconds * 1000 };
      this.windows.set(key, w);
    }
    w.count += cost;
    return Promise.resolve({ count: w.count, resetSeconds: Math.ceil((w.resetAt - now) / 1000) });
  }

  close() {
    clearInterval(this.sweeper);
    return Promise.resolve();
  }
}

// INCRBY and set the expiry on the first hit, atomically, so several instances share one window.
const HIT_SCRIPT = `local c = redis.call('INCRBY', KEYS[1], ARGV[1])
if c == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {c, redis.call('PTTL', KEYS[1])}`;

/** Counters in Redis, shared by every instance behind the load balancer. */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'safeshare:rl:',
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    // Connection errors surface on each hit (and are handled there); do not crash on the event.
    this.redis.on('error', () => undefined);
  }

  async hit(key: string, cost: number, windowSeconds: number) {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, this.prefix + key, cost, windowSeconds * 1000)) as [number, number];
    return { count, resetSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
  }

  close() {
    // Not quit(): against an unreachable Redis it never settles, and its reconnect timer would keep
    // the process alive. Nothing is buffered (no offline queue), so nothing is lost.
    this.redis.disconnect();
    return Promise.resolve();
  }
}

/**
 * One refusal by a rate limit: which bucket, its allowance, and how many refusals its window has
 * seen. Bucket `account` is the per-account lock-out: its window is the lock (seconds left).
 */
export interface RateLimitRefusal {
  bucket: Bucket | 'account';
  limit: number;
  windowSeconds: number;
  /** Refused so far in this window for this key (in attempts, for sign-in), this one included. */
  refusals: number;
  /** Whether this refusal is one the trail records (see `isCheckpoint`). */
  checkpoint: boolean;
}

type Bucket = 'address' | 'principal' | 'sign-in';

/** Kept beside the error, not in its details: details go to the client. */
const REFUSALS = new WeakMap<object, RateLimitRefusal>();

/** Marks a RATE_LIMITED error with its refusal, for the audit trail. */
export function markRefusal(error: AppError, refusal: RateLimitRefusal): AppError {
  REFUSALS.set(error, refusal);
  return error;
}

export const rateLimited = (retryAfterSeconds: number, refusal?: RateLimitRefusal) => {
  const error = new AppError(ErrorCode.RATE_LIMITED, 'Too many requests: try again later', { retryAfterSeconds });
  return refusal ? markRefusal(error, refusal) : error;
};

const bitLength = (n: number) => (n <= 0 ? 0 : Math.floor(Math.log2(n)) + 1);

/**
 * Refusals a window records in the trail: the 1st, 2nd, 4th, 8th, ... of each key's window (the
 * store's count is atomic, so across instances too). A flood of n refusals leaves 1 + log2(n) events
 * per key and window, the last one counting at least half of them.
 */
export const isCheckpoint = (refusedBefore: number, refusedAfter: number) => bitLength(refusedAfter) > bitLength(refusedBefore);

/** False only for a marked refusal between checkpoints (counted, not written); any other error: true. */
export const isAuditedRefusal = (error: unknown): boolean => {
  const refusal = error && typeof error === 'object' ? REFUSALS.get(error) : undefined;
  return refusal?.checkpoint !== false;
};

/** What an audit event says of a rate-limit refusal. */
export function rateLimitDetails(error: unknown): Omit<RateLimitRefusal, 'checkpoint'> | undefined {
  const refusal = error && typeof error === 'object' ? REFUSALS.get(error) : undefined;
  if (!refusal) return undefined;
  const { checkpoint: _checkpoint, ...details } = refusal;
  return details;
}

/** Records a refusal of the per-address limit, which answers before GraphQL (so before its audit plugin). */
export type RefusalRecorder = (req: Request, res: Response, error: AppError) => Promise<void>;

/** Root fields that try a credential: limited per client address much more tightly than the rest. */
export const SIGN_IN_FIELDS = new Set(['login', 'serviceToken', 'refreshToken', 'exchangeToken']);

/**
 * Per client address (every request), per principal (every operation) and, for sign-in fields, per
 * client address again with a far smaller allowance (each aliased attempt counts). Throws
 * RATE_LIMITED with the seconds until the window resets. If the store fails, requests go through
 * (availability first) and the failure is logged; account lock-out still guards passwords.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: Config['rateLimits'],
    private readonly logger: Logger,
    private readonly recordRefusal?: RefusalRecorder,
  ) {}

  async check(bucket: Bucket, id: string, cost = 1): Promise<void> {
    const limit = bucket === 'address' ? this.limits.perAddress : bucket === 'principal' ? this.limits.perPrincipal : this.limits.signIn;
    if (limit === 0 || cost === 0) return;
    let result: { count: number; resetSeconds: number };
    try {
      result = await this.store.hit(`${bucket}:${id}`, cost, this.limits.windowSeconds);
    } catch (err) {
      this.logger.error({ err }, 'rate limit store unavailable: request allowed');
      return;
    }
    if (result.count <= limit) return;
    const refusals = result.count - limit;
    const checkpoint = isCheckpoint(Math.max(0, refusals - cost), refusals);
    throw rateLimited(result.resetSeconds, { bucket, limit, windowSeconds: this.limits.windowSeconds, refusals, checkpoint });
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Express middleware: the per-address limit, before the body is even parsed as GraphQL. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      this.check('address', req.ip ?? 'unknown').then(
        () => next(),
        async (error: unknown) => {
          if (!(error instanceof AppError)) return next(error);
          if (this.recordRefusal && isAuditedRefusal(error)) {
            try {
              await this.recordRefusal(req, res, error);
            } catch (err) {
              // Refused either way: a trail that cannot be written must not open the gate.
              this.logger.error({ err }, 'rate-limited request could not be audited');
            }
          }
          const retry = Number(error.details?.retryAfterSeconds ?? 1);
          res.setHeader('retry-after', String(retry));
          res.status(429).json({ errors: [{ message: error.message, extensions: { code: error.code, retryAfterSeconds: retry } }] });
        },
      );
    };
  }

  /** Apollo plugin: the per-principal and sign-in limits, once the operation is known. */
  plugin(): ApolloServerPlugin<RequestContext> {
    return {
      requestDidStart: () =>
        Promise.resolve({
          didResolveOperation: async ({ contextValue: ctx, document, operation }) => {
            if (!operation) return;
            try {
              if (ctx.principal) await this.check('principal', ctx.principal.id);
              const attempts = countRootFields(document, operation, SIGN_IN_FIELDS);
              await this.check('sign-in', ctx.clientAddress ?? 'unknown', attempts);
            } catch (error) {
              if (!(error instanceof AppError)) throw error;
              const retry = String(Number(error.details?.retryAfterSeconds ?? 1));
              throw new GraphQLError(error.message, {
                originalError: error,
                extensions: { http: { status: 429, headers: new Map([['retry-after', retry]]) } },
              });
            }
          },
        }),
    };
  }
}

export function createRateLimiter(config: Config, logger: Logger, recordRefusal?: RefusalRecorder): RateLimiter {
  const store = config.redisUrl ? new RedisRateLimitStore(config.redisUrl, config.redisKeyPrefix) : new MemoryRateLimitStore();
  return new RateLimiter(store, config.rateLimits, logger, recordRefusal);
}

/** How many of the operation's root fields are in `names`, fragments at the root expanded. */
export function countRootFields(document: DocumentNode, operation: OperationDefinitionNode, names: ReadonlySet<string>): number {
  const fragments = fragmentsOf(document);
  const count = (set: SelectionSetNode, seen: readonly string[]): number =>
    set.selections.reduce((n, s) => {
      if (s.kind === Kind.FIELD) return n + (names.has(s.name.value) ? 1 : 0);
      if (s.kind === Kind.INLINE_FRAGMENT) return n + count(s.selectionSet, seen);
      const fragment = fragments.get(s.name.value);
      return fragment && !seen.includes(s.name.value) ? n + count(fragment.selectionSet, [...seen, s.name.value]) : n;
    }, 0);
  return count(operation.selectionSet, []);
}
