import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { beginReadOnlySnapshot, endSnapshot, hasAuditTrail } from './audit.queries';
import { acceptCheckpoint, CheckpointRefused, type SignedCheckpoint } from './checkpoint';
import { verifyAuditTrail } from './seal';
import { buildAuditKeyRing, generatedAuditPublicKey, publicKeyRing } from './signing-keys';

/** Exit codes of `audit:verify`. */
export const VERIFY_EXIT = { valid: 0, invalid: 1, usage: 2, notATrail: 3 } as const;

export interface VerifyOutput {
  out(text: string): void;
  err(text: string): void;
}

interface VerifyArgs {
  checkpointFile?: string;
  publicKeyFiles: string[];
}

function parseArgs(args: readonly string[]): VerifyArgs | string {
  const parsed: VerifyArgs = { publicKeyFiles: [] };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') return `${flag} needs a file`;
    if (flag === '--checkpoint') parsed.checkpointFile = value;
    else if (flag === '--public-key') parsed.publicKeyFiles.push(value);
    else return `unknown option ${args[i]}`;
  }
  return parsed;
}

/** A checkpoint file: the AuditCheckpoint object as returned, or the whole GraphQL response holding it. */
function readCheckpoint(file: string): SignedCheckpoint {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const data = (json.data as Record<string, unknown> | undefined) ?? json;
  const cp = (data.auditCheckpoint as Record<string, unknown> | undefined) ?? data;
  if (typeof cp.statement !== 'string' || typeof cp.signature !== 'string')
    throw new Error(`${file} holds no checkpoint statement and signature`);
  return { statement: cp.statement, signature: cp.signature };
}

/** The database URL to read: DATABASE_URL, or the embedded cluster in DATA_DIR (the running one if the server is up). */
async function locate(config: Config, logger: Logger): Promise<{ url: string; stop(): Promise<void> } | string> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: () => Promise.resolve() };
  const { openEmbeddedPostgres, EmbeddedDatabaseMissing } = await import('../db/embedded');
  try {
    const embedded = await openEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'safeshare',
      log: logger,
      create: false,
    });
    logger.debug(
      { attached: embedded.attached ?? false },
      embedded.attached ? 'reading the running embedded PostgreSQL' : 'embedded PostgreSQL started',
    );
    return embedded;
  } catch (error) {
    if (error instanceof EmbeddedDatabaseMissing) return error.message;
    throw error;
  }
}

/**
 * `audit:verify [--checkpoint file.json] [--public-key key.pem ...]`: checks the trail without writing
 * anything. It never migrates or seals; every statement runs in one READ ONLY, REPEATABLE READ
 * transaction (one snapshot), on a connection that defaults to read-only too. A database without the
 * trail is refused, not created. A checkpoint is trusted only if signed by a key given with
 * --public-key, or else by this service's configured (or generated) key or a retired one.
 */
export async function runAuditVerify(config: Config, logger: Logger, args: readonly string[], io: VerifyOutput): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`audit:verify: ${parsed}\nusage: audit:verify [--checkpoint file.json] [--public-key key.pem ...]`);
    return VERIFY_EXIT.usage;
  }
  let checkpoint: SignedCheckpoint | undefined;
  let keys;
  try {
    if (parsed.checkpointFile) checkpoint = readCheckpoint(parsed.checkpointFile);
    if (parsed.publicKeyFiles.length) keys = publicKeyRing(parsed.publicKeyFiles.map((f) => readFileSync(f, 'utf8')));
    else {
      const generated = config.auditSigning.signingKey ? undefined : generatedAuditPublicKey(config.dataDir);
      keys = buildAuditKeyRing(config.auditSigning, generated ? [generated] : []);
    }
  } catch (error) {
    io.err(`audit:verify: ${error instanceof Error ? error.message : String(error)}`);
    return VERIFY_EXIT.usage;
  }

  const located = await locate(config, logger);
  if (typeof located === 'string') {
    io.err(`Not a Safeshare database: ${located}. Nothing was created or changed.`);
    return VERIFY_EXIT.notATrail;
  }
  const client = new Client({
    connectionString: located.url,
    application_name: 'safeshare-audit-verify',
    options: '-c default_transaction_read_only=on -c statement_timeout=0 -c jit=off',
  });
  try {
    try {
      await client.connect();
    } catch (error) {
      if ((error as { code?: string }).code === '3D000') {
        io.err(`Not a Safeshare database: ${(error as Error).message}. Nothing was created or changed.`);
        return VERIFY_EXIT.notATrail;
      }
      throw error;
    }
    const db = await beginReadOnlySnapshot(client);
    const { trail, database } = await hasAuditTrail(db);
    if (!trail) {
      io.err(`Not a Safeshare database: ${database} has no audit trail (audit_events, audit_seals). Nothing was created or changed.`);
      return VERIFY_EXIT.notATrail;
    }
    let anchor;
    if (checkpoint) {
      try {
        anchor = await acceptCheckpoint(db, checkpoint, keys);
      } catch (error) {
        if (!(error instanceof CheckpointRefused)) throw error;
        io.out(JSON.stringify({ valid: false, problem: `checkpoint refused: ${error.message}` }, null, 2));
        return VERIFY_EXIT.invalid;
      }
    }
    const result = await verifyAuditTrail(db, {}, anchor);
    io.out(JSON.stringify({ database, ...result }, null, 2));
    return result.valid ? VERIFY_EXIT.valid : VERIFY_EXIT.invalid;
  } finally {
    await endSnapshot(client);
    await client.end().catch(() => undefined);
    await located.stop();
  }
}
