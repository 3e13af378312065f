import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';

/** Signing algorithms we accept; anything else is refused at start (RFC 8725: explicit allow-list). */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** An empty variable counts as unset, so `FOO= npm start` means "use the default". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  NODE_ENV: optional(z.enum(['production', 'development', 'test'])),
  PORT: optional(int(0, 65535)),
  HOST: optional(z.string()),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  DATABASE_REPLICA_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  REPLICA_MAX_LAG_MS: optional(int(0, 3_600_000)),
  REPLICA_RETRY_MS: optional(int(100, 3_600_000)),
  DATA_DIR: optional(z.string()),
  EMBEDDED_PG_PORT: optional(int(1024, 65535)),
  DB_POOL_MAX: optional(int(1, 200)),
  DB_STATEMENT_TIMEOUT_MS: optional(int(100, 600_000)),
  DB_APP_ROLE: optional(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name')),
  AUDIT_SEAL_INTERVAL_MS: optional(int(1000, 86_400_000)),
  ROLLUP_FOLD_INTERVAL_MS: optional(int(100, 3_600_000)),
  PUSH_WORKERS: optional(bool),
  PUSH_WORKER_CONCURRENCY: optional(int(1, 100)),
  ACCESS_NOTICE_SCAN_INTERVAL_MS: optional(int(100, 3_600_000)),
  WEBHOOK_ALLOWED_HOSTS: optional(z.string().max(2000)),
  WEBHOOK_TIMEOUT_MS: optional(int(100, 60_000)),
  WEBHOOK_RETRY_BASE_MS: optional(int(1, 3_600_000)),
  WEBHOOK_RETRY_MAX_MS: optional(int(1, 7 * 86_400_000)),
  WEBHOOK_MAX_ATTEMPTS: optional(int(1, 50)),
  ACCESS_REQUEST_DUE_HOURS_RED: optional(int(1, 24 * 365)),
  ACCESS_REQUEST_DUE_HOURS_AMBER: optional(int(1, 24 * 365)),
  ACCESS_REQUEST_DUE_HOURS_GREEN: optional(int(1, 24 * 365)),
  DEADLINE_SCAN_INTERVAL_MS: optional(int(100, 3_600_000)),
  FLAG_REVIEW_NOTICE_LOOKBACK_DAYS: optional(int(0, 366)),
  SUBSCRIPTION_MAX_CONNECTIONS_PER_PRINCIPAL: optional(int(1, 1000)),
  SUBSCRIPTION_MAX_PER_CONNECTION: optional(int(1, 1000)),
  SUBSCRIPTION_MAX_PAYLOAD_BYTES: optional(int(1024, 1024 * 1024)),
  SUBSCRIPTION_RECHECK_INTERVAL_MS: optional(int(100, 600_000)),
  AUDIT_READS: optional(bool),
  AUDIT_SIGNING_KEY: optional(z.string()),
  AUDIT_VERIFICATION_KEYS: optional(z.string()),
  AUDIT_GENERATE_KEY: optional(bool),
  SEED_DEMO: optional(bool),
  MAX_QUERY_DEPTH: optional(int(2, 50)),
  MAX_QUERY_ALIASES: optional(int(0, 1000)),
  MAX_QUERY_DIRECTIVES: optional(int(0, 1000)),
  MAX_QUERY_FIELDS: optional(int(10, 10_000)),
  MAX_QUERY_COST: optional(int(10, 10_000_000)),
  MAX_QUERY_TOKENS: optional(int(100, 100_000)),
  MAX_QUERY_BYTES: optional(int(1000, 1_000_000)),
  REQUEST_TIMEOUT_MS: optional(int(1000, 600_000)),
  CORS_ORIGINS: optional(z.string()),
  REDIS_KEY_PREFIX: optional(z.string().max(100)),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')),
  RATE_LIMIT_WINDOW_SECONDS: optional(int(1, 3600)),
  RATE_LIMIT_PER_ADDRESS: optional(int(0, 10_000_000)),
  RATE_LIMIT_PER_PRINCIPAL: optional(int(0, 10_000_000)),
  RATE_LIMIT_SIGN_IN: optional(int(0, 10_000_000)),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  GRAPHQL_INTROSPECTION: optional(bool),
  GRAPHQL_EXPLORER: optional(bool),
  CONSOLE_ENABLED: optional(bool),
  CONSOLE_DIR: optional(z.string().min(1)),
  METRICS_TOKEN: optional(z.string().min(16)),
  METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  TRUST_PROXY: optional(bool),
  BODY_LIMIT_BYTES: optional(int(1024, 50 * 1024 * 1024)),
  JWT_ALGORITHM: optional(z.enum(JWT_ALGORITHMS)),
  JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  JWT_PRIVATE_KEY: optional(z.string()),
  JWT_PUBLIC_KEY: optional(z.string()),
  JWT_GENERATE_KEY: optional(bool),
  JWT_ISSUER: optional(z.string().min(1)),
  JWT_AUDIENCE: optional(z.string().min(1)),
  JWT_CLOCK_SKEW_SECONDS: optional(int(0, 300)),
  ACCESS_TOKEN_TTL_SECONDS: optional(int(60, 24 * 3600)),
  REFRESH_TOKEN_TTL_SECONDS: optional(int(300, 90 * 24 * 3600)),
  ARGON2_MEMORY_KIB: optional(int(1024, 1024 * 1024)),
  ARGON2_TIME_COST: optional(int(1, 20)),
  ARGON2_PARALLELISM: optional(int(1, 16)),
  JWT_VERIFICATION_KEYS: optional(z.string()),
  TRUSTED_ISSUERS: optional(z.string()),
  JWKS_CACHE_TTL_SECONDS: optional(int(1, 7 * 24 * 3600)),
  JWKS_REFETCH_INTERVAL_SECONDS: optional(int(0, 3600)),
  JWKS_FETCH_TIMEOUT_MS: optional(int(100, 60_000)),
  LOGIN_LOCKOUT_THRESHOLD: optional(int(1, 1000)),
  LOGIN_LOCKOUT_BASE_SECONDS: optional(int(1, 86_400)),
  LOGIN_LOCKOUT_MAX_SECONDS: optional(int(1, 7 * 86_400)),
  LOGIN_FAILURE_WINDOW_SECONDS: optional(int(60, 365 * 86_400)),
  PASSWORD_RESET_TTL_SECONDS: optional(int(300, 7 * 86_400)),
  PARTNER_SECRET_GRACE_SECONDS: optional(int(0, 30 * 86_400)),
  TOTP_REQUIRED_ROLES: optional(z.string().max(500)),
  TOTP_ENCRYPTION_KEY: optional(z.string().max(200)),
});

/** A key that verifies tokens without signing any: a retired signing key, or the next one pre-published. */
export interface ExtraVerificationKey {
  /** The `kid` tokens signed with it carry; by default derived from the key, as for the signing key. */
  kid?: string;
  algorithm: JwtAlgorithm;
  /** HS256 secret, or PEM public key. */
  key: string;
}

/** Algorithms an external agency's identity provider may sign with: asymmetric only (it cannot hold our secret). */
export const EXTERNAL_ALGORITHMS = ['RS256', 'ES256'] as const;
export type ExternalAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number];

/** An agency's own identity provider, trusted to sign in that agency's users (see docs/security.md). */
export interface TrustedIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  agencyId: string;
  /** The claim holding the user's email; `email` by default. */
  emailClaim: string;
  algorithms: ExternalAlgorithm[];
}

export interface JwtConfig {
  algorithm: JwtAlgorithm;
  /** HS256 secret, or PEM private key for RS256/ES256. Absent until the embedded demo generates one. */
  signingKey?: string;
  /** HS256 secret, or PEM public key. */
  verificationKey?: string;
  issuer: string;
  audience: string;
  clockSkewSeconds: number;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Keys accepted besides the signing key's own, by `kid` (key rotation). */
  extraVerificationKeys: ExtraVerificationKey[];
  trustedIssuers: TrustedIssuer[];
  jwks: { cacheTtlSeconds: number; refetchIntervalSeconds: number; fetchTimeoutMs: number };
}

/** Exponential back-off after repeated failed sign-ins, per email or client id. */
export interface LockoutConfig {
  threshold: number;
  baseSeconds: number;
  maxSeconds: number;
  /** Failures older than this (since the last one) are forgotten. */
  windowSeconds: number;
}

/** The key that signs audit checkpoints (ed25519), and the public keys older checkpoints were signed with. */
export interface AuditSigningConfig {
  /** PEM private key; absent until generated, or when checkpoints are not configured. */
  signingKey?: string;
  /** PEM public keys of retired signing keys: their checkpoints still verify. */
  verificationKeys: string[];
  /** Generate the signing key into `dataDir` when none is configured. */
  generateKey: boolean;
}

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  /** Absent: start the embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  /**
   * A hot standby for reads that may be a little stale (statistics, search: docs/scaling.md), used
   * while its replay lag is at most `maxLagMs`; after a failure it is left alone for `retryMs`.
   */
  replica?: { url: string; maxLagMs: number; retryMs: number };
  dataDir: string;
  embeddedPgPort: number;
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  queryLimits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxFields: number; maxCost: number };
  /** Parsing stops past this many tokens; requests with a longer query text are refused before parsing. */
  maxQueryTokens: number;
  maxQueryBytes: number;
  requestTimeoutMs: number;
  /** Browser origins allowed to call the API (CORS); none by default (agency systems call server to server). */
  corsOrigins: string[];
  redisUrl?: string;
  /** Namespace of the rate-limit keys in Redis (several deployments may share one Redis). */
  redisKeyPrefix: string;
  /** Requests per window; 0 turns a limit off. Sign-in counts each login/serviceToken/refreshToken field per address. */
  rateLimits: { windowSeconds: number; perAddress: number; perPrincipal: number; signIn: number };
  /** The role the service acts as once migrated; it may only INSERT and SELECT on the audit trail. */
  dbAppRole: string;
  /** How often settled audit events are sealed into the hash chain. */
  auditSealIntervalMs: number;
  /** How often the statistics deltas are folded into the rollups (statistics are exact either way). */
  rollupFoldIntervalMs: number;
  /**
   * Push sharing (docs/notifications.md): whether this instance runs the outbox's workers (every
   * instance may: each job runs once), how many jobs at once, and how often the audit trail is read
   * for access notices.
   */
  push: { workers: boolean; concurrency: number; accessScanIntervalMs: number };
  /** Signed webhooks (docs/notifications.md, "Webhooks"). */
  webhooks: WebhookConfig;
  /**
   * Deadline clocks (docs/notifications.md, "Deadlines"): hours an access request of each urgency
   * has before it is overdue (RED ≤ AMBER ≤ GREEN), how often the clocks run, and how far back a
   * flag's passed review date still raises its notice.
   */
  deadlines: { dueHours: { RED: number; AMBER: number; GREEN: number }; scanIntervalMs: number; flagReviewLookbackDays: number };
  /**
   * GraphQL subscriptions over graphql-ws (docs/notifications.md, "Subscriptions"): sockets per
   * principal, subscriptions per socket, the largest message a client may send, and how often each
   * socket's session and account are checked again.
   */
  subscriptions: { maxConnectionsPerPrincipal: number; maxPerConnection: number; maxPayloadBytes: number; recheckIntervalMs: number };
  /** False only to measure audit overhead in bench/: reads then leave no audit event. */
  auditReads: boolean;
  /** Generate a signing key into `dataDir` when none is configured (always so for the embedded demo). */
  generateJwtKey: boolean;
  auditSigning: AuditSigningConfig;
  /** Undefined: seed the demo only on the first start of the embedded database. */
  seedDemo?: boolean;
  logLevel: string;
  introspection: boolean;
  /** Serve GraphiQL on GET /graphql to browsers (its assets from our own node_modules). */
  explorer: boolean;
  /** The auditors' and statistics console at /console (docs/console.md), built by `npm run build` into `dir`. */
  console: { enabled: boolean; dir?: string };
  /** Bearer token /metrics requires on the main port; absent: /metrics is not served there. */
  metricsToken?: string;
  /** A port of its own for /metrics (loopback or HOST), open without a token. */
  metricsPort?: number;
  trustProxy: boolean;
  bodyLimitBytes: number;
  jwt: JwtConfig;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  lockout: LockoutConfig;
  /** Account lifecycle (docs/accounts.md). */
  accounts: AccountsConfig;
}

/** How long an admin's password reset token lasts, a rotated partner secret keeps working, and who must use TOTP. */
export interface AccountsConfig {
  passwordResetTtlSeconds: number;
  partnerSecretGraceSeconds: number;
  /** Users holding any of these roles must enrol a TOTP second factor before anything else (empty: nobody; see TOTP_REQUIRED_ROLES_PRODUCTION). */
  totpRequiredRoles: string[];
  /** AES-256-GCM key for TOTP secrets at rest (auth/totp-secret-box.ts); unset: stored as given. */
  totpEncryptionKey?: Buffer;
}

/** TOTP_ENCRYPTION_KEY: 32 bytes, as 64 hex characters or base64; null when it is not one. */
function parseTotpKey(raw: string): Buffer | null {
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  return key.length === 32 ? key : null;
}

/** The role names TOTP_REQUIRED_ROLES may list (policy/roles.ts; repeated here: config imports nothing of ours). */
const ROLE_NAMES = ['REPORTER', 'PRACTITIONER', 'SAFEGUARDING_LEAD', 'INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR', 'ADMIN'];

/**
 * Who must enrol a second factor when TOTP_REQUIRED_ROLES is unset, in production on its own
 * database: the roles that read police case content (INVESTIGATOR, ANALYST, SUPERVISOR) and the
 * audit trail (AUDITOR). The demo (embedded, or SEED_DEMO=true), development and tests require nobody,
 * so the demo's accounts keep signing in with a password alone.
 */
export const TOTP_REQUIRED_ROLES_PRODUCTION = ['INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR'];

/**
 * TOTP_REQUIRED_ROLES: a comma list of role names, or `none`; unset: the production default above
 * in production on its own database without the demo seed, nobody otherwise.
 */
function parseRoleList(
  raw: string | undefined,
  defaults: { production: boolean; database: boolean; demo: boolean },
  problems: string[],
): string[] {
  if (raw === undefined) return defaults.production && defaults.database && !defaults.demo ? [...TOTP_REQUIRED_ROLES_PRODUCTION] : [];
  if (raw.trim().toLowerCase() === 'none') return [];
  const roles = raw
    .split(',')
    .map((r) => r.trim().toUpperCase())
    .filter(Boolean);
  for (const role of roles) if (!ROLE_NAMES.includes(role)) problems.push(`TOTP_REQUIRED_ROLES: ${role} is not a role`);
  return [...new Set(roles)];
}

/** Where webhooks may be sent, and how hard their delivery is tried. */
export interface WebhookConfig {
  /** Only https:// receivers (production, except the embedded demo); http:// is allowed otherwise. */
  requireHttps: boolean;
  /**
   * Host names (or address literals) exempt from the private-address refusal, lower-case, as the
   * receiver's URL spells them. The embedded demo and non-production default to the loopback.
   */
  allowedHosts: string[];
  /** How long one attempt may take, connect to last byte. */
  timeoutMs: number;
  /** Retries wait a random time up to base * 2^(attempt-1), at most `retryMaxMs` (full jitter). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts per delivery (and per redelivery) before it is dead. */
  maxAttempts: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A PEM may be given inline with literal "\n" escapes (as env files often do). */
const pem = (value?: string) => value?.replace(/\\n/g, '\n');

/**
 * Reads and validates the configuration once. Every problem is reported together, so an operator
 * fixes them in one pass. An unset NODE_ENV behaves as production.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const algorithm = e.JWT_ALGORITHM ?? 'HS256';
  let signingKey: string | undefined;
  let verificationKey: string | undefined;
  if (algorithm === 'HS256') {
    if (e.JWT_PRIVATE_KEY || e.JWT_PUBLIC_KEY) {
      problems.push('JWT_PRIVATE_KEY/JWT_PUBLIC_KEY: not used with HS256; set JWT_SECRET instead');
    }
    signingKey = verificationKey = e.JWT_SECRET;
  } else {
    if (e.JWT_SECRET) problems.push(`JWT_SECRET: not used with ${algorithm}; set JWT_PRIVATE_KEY and JWT_PUBLIC_KEY`);
    if (!e.JWT_PRIVATE_KEY !== !e.JWT_PUBLIC_KEY) {
      problems.push(`JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: ${algorithm} needs both`);
    }
    signingKey = pem(e.JWT_PRIVATE_KEY);
    verificationKey = pem(e.JWT_PUBLIC_KEY);
  }
  // Without a configured key, only the embedded demo, or an operator who asks for it (a single
  // instance with a persistent DATA_DIR), gets one generated into DATA_DIR.
  if (e.DATABASE_URL && !signingKey && !e.JWT_GENERATE_KEY) {
    problems.push(
      algorithm === 'HS256'
        ? 'JWT_SECRET: required when DATABASE_URL is set (at least 32 random characters), unless JWT_GENERATE_KEY=true'
        : 'JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: required when DATABASE_URL is set, unless JWT_GENERATE_KEY=true',
    );
  }
  for (const origin of (e.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
  }
  if (e.DATABASE_REPLICA_URL && !e.DATABASE_URL)
    problems.push('DATABASE_REPLICA_URL: needs DATABASE_URL (the embedded database has no standby)');
  if (e.AUDIT_READS === false && (e.NODE_ENV ?? 'production') === 'production') {
    problems.push('AUDIT_READS: reads are always audited in production (false is for benchmarks only)');
  }
  if ((e.WEBHOOK_RETRY_MAX_MS ?? Infinity) < (e.WEBHOOK_RETRY_BASE_MS ?? 30_000)) {
    problems.push('WEBHOOK_RETRY_MAX_MS: must be at least WEBHOOK_RETRY_BASE_MS');
  }
  const allowedHosts = parseAllowedHosts(e.WEBHOOK_ALLOWED_HOSTS, problems);
  const auditSigning = parseAuditSigning(e, problems);
  const extraVerificationKeys = parseVerificationKeys(e.JWT_VERIFICATION_KEYS, algorithm, problems);
  const trustedIssuers = parseTrustedIssuers(e.TRUSTED_ISSUERS, problems);
  const totpEncryptionKey = e.TOTP_ENCRYPTION_KEY === undefined ? undefined : parseTotpKey(e.TOTP_ENCRYPTION_KEY);
  if (totpEncryptionKey === null) problems.push('TOTP_ENCRYPTION_KEY: must be 32 bytes, as 64 hex characters or base64');
  const totpRequiredRoles = parseRoleList(
    e.TOTP_REQUIRED_ROLES,
    { production: (e.NODE_ENV ?? 'production') === 'production', database: Boolean(e.DATABASE_URL), demo: e.SEED_DEMO === true },
    problems,
  );
  const dueHours = {
    RED: e.ACCESS_REQUEST_DUE_HOURS_RED ?? 4,
    AMBER: e.ACCESS_REQUEST_DUE_HOURS_AMBER ?? 24,
    GREEN: e.ACCESS_REQUEST_DUE_HOURS_GREEN ?? 72,
  };
  // A more urgent request is never given longer than a less urgent one.
  if (dueHours.RED > dueHours.AMBER || dueHours.AMBER > dueHours.GREEN) {
    problems.push(
      `ACCESS_REQUEST_DUE_HOURS_RED/_AMBER/_GREEN: must not decrease from RED to GREEN (now ${dueHours.RED}/${dueHours.AMBER}/${dueHours.GREEN})`,
    );
  }
  if (problems.length) throw new ConfigError(problems);

  const nodeEnv = e.NODE_ENV ?? 'production';
  return {
    env: nodeEnv,
    port: e.PORT ?? 4000,
    // Loopback unless told otherwise: the demo's passwords are public. Containers set HOST=0.0.0.0.
    host: e.HOST ?? '127.0.0.1',
    databaseUrl: e.DATABASE_URL,
    replica: e.DATABASE_REPLICA_URL
      ? { url: e.DATABASE_REPLICA_URL, maxLagMs: e.REPLICA_MAX_LAG_MS ?? 5_000, retryMs: e.REPLICA_RETRY_MS ?? 5_000 }
      : undefined,
    dataDir: e.DATA_DIR ?? '.data',
    embeddedPgPort: e.EMBEDDED_PG_PORT ?? 54329,
    dbPoolMax: e.DB_POOL_MAX ?? 10,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS ?? 10_000,
    dbAppRole: e.DB_APP_ROLE ?? 'safeshare_app',
    queryLimits: {
      maxDepth: e.MAX_QUERY_DEPTH ?? 10,
      maxAliases: e.MAX_QUERY_ALIASES ?? 50,
      maxDirectives: e.MAX_QUERY_DIRECTIVES ?? 10,
      maxFields: e.MAX_QUERY_FIELDS ?? 200,
      maxCost: e.MAX_QUERY_COST ?? 10_000,
    },
    maxQueryTokens: e.MAX_QUERY_TOKENS ?? 3000,
    maxQueryBytes: e.MAX_QUERY_BYTES ?? 20_000,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS ?? 30_000,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'safeshare:rl:',
    rateLimits: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS ?? 60,
      perAddress: e.RATE_LIMIT_PER_ADDRESS ?? 1200,
      perPrincipal: e.RATE_LIMIT_PER_PRINCIPAL ?? 600,
      signIn: e.RATE_LIMIT_SIGN_IN ?? 60,
    },
    auditSealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS ?? 60_000,
    rollupFoldIntervalMs: e.ROLLUP_FOLD_INTERVAL_MS ?? 5_000,
    push: {
      workers: e.PUSH_WORKERS ?? true,
      concurrency: e.PUSH_WORKER_CONCURRENCY ?? 4,
      accessScanIntervalMs: e.ACCESS_NOTICE_SCAN_INTERVAL_MS ?? 2_000,
    },
    webhooks: {
      // The embedded demo runs on a laptop: its receivers are local, plain http, on the loopback.
      requireHttps: nodeEnv === 'production' && Boolean(e.DATABASE_URL),
      // Only the embedded demo trusts the loopback by default: a staging server must say so itself.
      allowedHosts: allowedHosts ?? (e.DATABASE_URL ? [] : ['127.0.0.1', 'localhost']),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS ?? 10_000,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS ?? 30_000,
      retryMaxMs: e.WEBHOOK_RETRY_MAX_MS ?? 6 * 3_600_000,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS ?? 8,
    },
    deadlines: {
      dueHours,
      scanIntervalMs: e.DEADLINE_SCAN_INTERVAL_MS ?? 60_000,
      flagReviewLookbackDays: e.FLAG_REVIEW_NOTICE_LOOKBACK_DAYS ?? 7,
    },
    subscriptions: {
      maxConnectionsPerPrincipal: e.SUBSCRIPTION_MAX_CONNECTIONS_PER_PRINCIPAL ?? 5,
      maxPerConnection: e.SUBSCRIPTION_MAX_PER_CONNECTION ?? 10,
      maxPayloadBytes: e.SUBSCRIPTION_MAX_PAYLOAD_BYTES ?? 64 * 1024,
      recheckIntervalMs: e.SUBSCRIPTION_RECHECK_INTERVAL_MS ?? 5_000,
    },
    auditReads: e.AUDIT_READS ?? true,
    seedDemo: e.SEED_DEMO,
    auditSigning,
    generateJwtKey: !e.DATABASE_URL || (e.JWT_GENERATE_KEY ?? false),
    logLevel: e.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    // The embedded demo (no DATABASE_URL) is learnt by exploring: schema and explorer on by default.
    introspection: e.GRAPHQL_INTROSPECTION ?? (nodeEnv === 'development' || !e.DATABASE_URL),
    explorer: e.GRAPHQL_EXPLORER ?? (nodeEnv === 'development' || !e.DATABASE_URL),
    // A page for people, unlike the explorer: on in production too; it reads nothing the API would not give.
    console: { enabled: e.CONSOLE_ENABLED ?? true, dir: e.CONSOLE_DIR },
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    trustProxy: e.TRUST_PROXY ?? false,
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 1024 * 1024,
    jwt: {
      algorithm,
      signingKey,
      verificationKey,
      issuer: e.JWT_ISSUER ?? 'safeshare',
      audience: e.JWT_AUDIENCE ?? 'safeshare-api',
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS ?? 30,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 15 * 60,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS ?? 14 * 24 * 3600,
      extraVerificationKeys,
      trustedIssuers,
      jwks: {
        cacheTtlSeconds: e.JWKS_CACHE_TTL_SECONDS ?? 3600,
        refetchIntervalSeconds: e.JWKS_REFETCH_INTERVAL_SECONDS ?? 60,
        fetchTimeoutMs: e.JWKS_FETCH_TIMEOUT_MS ?? 5000,
      },
    },
    argon2: {
      memoryCost: e.ARGON2_MEMORY_KIB ?? 19_456,
      timeCost: e.ARGON2_TIME_COST ?? 2,
      parallelism: e.ARGON2_PARALLELISM ?? 1,
    },
    lockout: {
      threshold: e.LOGIN_LOCKOUT_THRESHOLD ?? 5,
      baseSeconds: e.LOGIN_LOCKOUT_BASE_SECONDS ?? 60,
      maxSeconds: e.LOGIN_LOCKOUT_MAX_SECONDS ?? 15 * 60,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS ?? 24 * 3600,
    },
    accounts: {
      passwordResetTtlSeconds: e.PASSWORD_RESET_TTL_SECONDS ?? 24 * 3600,
      partnerSecretGraceSeconds: e.PARTNER_SECRET_GRACE_SECONDS ?? 24 * 3600,
      totpRequiredRoles,
      totpEncryptionKey: totpEncryptionKey ?? undefined,
    },
  };
}

/** WEBHOOK_ALLOWED_HOSTS: a comma list of host names or address literals; undefined when unset. */
function parseAllowedHosts(raw: string | undefined, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const hosts = raw
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter(Boolean);
  for (const host of hosts) {
    if (!/^[a-z0-9.:_-]{1,253}$/.test(host)) problems.push(`WEBHOOK_ALLOWED_HOSTS: ${host} is not a host name or address`);
  }
  return hosts;
}

/**
 * AUDIT_SIGNING_KEY (an ed25519 PEM private key) and AUDIT_VERIFICATION_KEYS (JSON array of the PEM
 * public keys of retired ones). Without a key, one is generated into DATA_DIR for the embedded demo, or
 * when asked (AUDIT_GENERATE_KEY, by default as JWT_GENERATE_KEY: one instance, persistent DATA_DIR).
 */
function parseAuditSigning(
  e: {
    DATABASE_URL?: string;
    AUDIT_SIGNING_KEY?: string;
    AUDIT_VERIFICATION_KEYS?: string;
    AUDIT_GENERATE_KEY?: boolean;
    JWT_GENERATE_KEY?: boolean;
  },
  problems: string[],
): AuditSigningConfig {
  const signingKey = pem(e.AUDIT_SIGNING_KEY);
  if (signingKey) {
    try {
      if (createPrivateKey(signingKey).asymmetricKeyType !== 'ed25519') problems.push('AUDIT_SIGNING_KEY: must be an ed25519 private key');
    } catch {
      problems.push('AUDIT_SIGNING_KEY: not a PEM private key');
    }
  }
  const verificationKeys: string[] = [];
  if (e.AUDIT_VERIFICATION_KEYS) {
    const keys = parseJsonVariable(
      'AUDIT_VERIFICATION_KEYS',
      e.AUDIT_VERIFICATION_KEYS,
      z.array(z.string().min(1)),
      '["<PEM public key>", ...]',
      problems,
    );
    for (const [i, raw] of (keys ?? []).entries()) {
      const key = pem(raw) ?? '';
      try {
        if (/PRIVATE KEY/.test(key)) problems.push(`AUDIT_VERIFICATION_KEYS[${i}]: give the public key, never a private one`);
        else if (createPublicKey(key).asymmetricKeyType !== 'ed25519')
          problems.push(`AUDIT_VERIFICATION_KEYS[${i}]: must be an ed25519 public key`);
        else verificationKeys.push(key);
      } catch {
        problems.push(`AUDIT_VERIFICATION_KEYS[${i}]: not a PEM public key`);
      }
    }
  }
  return { signingKey, verificationKeys, generateKey: !e.DATABASE_URL || (e.AUDIT_GENERATE_KEY ?? e.JWT_GENERATE_KEY ?? false) };
}

const verificationKeySchema = z.array(
  z.strictObject({
    kid: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'kid: 1 to 64 letters, digits, dot, dash or underscore')
      .optional(),
    alg: z.enum(JWT_ALGORITHMS).optional(),
    key: z.string().min(1),
  }),
);

/** JWT_VERIFICATION_KEYS: JSON `[{ "key": "...", "alg"?: "RS256", "kid"?: "..." }]`; alg defaults to JWT_ALGORITHM. */
function parseVerificationKeys(raw: string | undefined, algorithm: JwtAlgorithm, problems: string[]): ExtraVerificationKey[] {
  if (!raw) return [];
  const entries = parseJsonVariable('JWT_VERIFICATION_KEYS', raw, verificationKeySchema, '[{ "key", "alg"?, "kid"? }]', problems);
  const keys: ExtraVerificationKey[] = [];
  for (const [i, entry] of (entries ?? []).entries()) {
    const alg = entry.alg ?? algorithm;
    const key = alg === 'HS256' ? entry.key : (pem(entry.key) ?? '');
    if (alg === 'HS256' && key.length < 32) problems.push(`JWT_VERIFICATION_KEYS[${i}]: an HS256 secret must be at least 32 characters`);
    if (alg !== 'HS256' && /PRIVATE KEY/.test(key)) problems.push(`JWT_VERIFICATION_KEYS[${i}]: give the public key, never a private one`);
    keys.push({ kid: entry.kid, algorithm: alg, key });
  }
  return keys;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const trustedIssuerSchema = z.array(
  z.strictObject({
    issuer: z.string().min(1),
    jwksUrl: z.url({ protocol: /^https?$/ }),
    audience: z.string().min(1),
    agencyId: z.uuid(),
    emailClaim: z.string().min(1).optional(),
    algorithms: z.array(z.enum(EXTERNAL_ALGORITHMS)).min(1).optional(),
  }),
);

/** TRUSTED_ISSUERS: JSON `[{ issuer, jwksUrl, audience, agencyId, emailClaim?, algorithms? }]`. */
function parseTrustedIssuers(raw: string | undefined, problems: string[]): TrustedIssuer[] {
  if (!raw) return [];
  const expected = '[{ "issuer", "jwksUrl", "audience", "agencyId", "emailClaim"?, "algorithms"? }]';
  const entries = parseJsonVariable('TRUSTED_ISSUERS', raw, trustedIssuerSchema, expected, problems);
  const seen = new Set<string>();
  return (entries ?? []).map((entry, i) => {
    const url = new URL(entry.jwksUrl);
    // Plain HTTP would let anyone on the path substitute keys; loopback is allowed for tests only.
    if (url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      problems.push(`TRUSTED_ISSUERS[${i}].jwksUrl: must be https (http only for 127.0.0.1 or localhost)`);
    }
    if (seen.has(entry.issuer)) problems.push(`TRUSTED_ISSUERS[${i}].issuer: ${entry.issuer} is listed twice`);
    seen.add(entry.issuer);
    return {
      issuer: entry.issuer,
      jwksUrl: entry.jwksUrl,
      audience: entry.audience,
      agencyId: entry.agencyId.toLowerCase(),
      emailClaim: entry.emailClaim ?? 'email',
      algorithms: entry.algorithms ?? [...EXTERNAL_ALGORITHMS],
    };
  });
}

/** Parses a JSON variable against a schema; a problem names the variable and what is wrong. */
function parseJsonVariable<T>(name: string, raw: string, schema: z.ZodType<T>, expected: string, problems: string[]): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    problems.push(`${name}: not valid JSON (expected ${expected})`);
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => (i.path.length ? `[${i.path.join('].')}: ${i.message}` : i.message));
  problems.push(`${name}: ${issues.join('; ')} (expected ${expected})`);
  return undefined;
}
