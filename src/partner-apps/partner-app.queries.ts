import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { type Queryable, raw, run, type Sql, sql } from '../db/sql';
import type { ServiceScope } from '../users/service-account.entity';
import type { PartnerApp } from './partner-app.types';

// Partner apps (service accounts) an administrator manages, under policy/users.ts scopes on alias `sa`.

interface PartnerAppRow {
  id: string;
  client_id: string;
  name: string;
  scopes: ServiceScope[];
  disabled_at: Date | null;
  revoked_reason: string | null;
  previous_secret_expires_at: Date | null;
  trusted_document_count: number | null;
  trusted_documents_set_at: Date | null;
  created_at: Date;
}

const COLUMNS = raw(
  `sa.id, sa.client_id, sa.name, sa.scopes::text[] AS scopes, sa.disabled_at, sa.revoked_reason, sa.previous_secret_expires_at,
   CASE WHEN sa.trusted_documents IS NULL THEN NULL ELSE (SELECT count(*)::int FROM jsonb_object_keys(sa.trusted_documents)) END
     AS trusted_document_count,
   sa.trusted_documents_set_at, sa.created_at`,
);

const toPartnerApp = (row: PartnerAppRow): PartnerApp => ({
  id: row.id,
  clientId: row.client_id,
  name: row.name,
  scopes: row.scopes,
  active: row.disabled_at === null,
  revokedAt: row.disabled_at,
  revokedReason: row.revoked_reason,
  previousSecretExpiresAt: row.previous_secret_expires_at,
  trustedDocumentCount: row.trusted_document_count,
  trustedDocumentsSetAt: row.trusted_documents_set_at,
  createdAt: row.created_at,
});

export interface NewPartnerApp {
  agencyId: string;
  clientId: string;
  name: string;
  secretHash: string;
  scopes: readonly ServiceScope[];
}

export async function insertPartnerApp(db: Queryable, app: NewPartnerApp): Promise<PartnerApp> {
  const [row] = await run<PartnerAppRow>(
    db,
    sql`INSERT INTO service_accounts AS sa (agency_id, client_id, name, secret_hash, scopes)
        VALUES (${app.agencyId}::uuid, ${app.clientId}, ${app.name}, ${app.secretHash}, ${app.scopes}::service_scope[])
        RETURNING ${COLUMNS}`,
  );
  return toPartnerApp(row);
}

/** One app within `scope`, locked for a change; null when none (or another agency's). */
export async function lockPartnerApp(db: Queryable, scope: Sql, id: string): Promise<PartnerApp | null> {
  const [row] = await run<PartnerAppRow>(
    db,
    sql`SELECT ${COLUMNS} FROM service_accounts sa WHERE sa.id = ${id}::uuid AND ${scope} FOR UPDATE`,
  );
  return row ? toPartnerApp(row) : null;
}

/**
 * Replaces the app's secret. With a grace, the secret it replaces keeps working until then (the one
 * before it, if any, no longer: at most one previous secret); with none, it stops at once.
 */
export async function replacePartnerAppSecret(db: Queryable, id: string, secretHash: string, graceSeconds: number): Promise<PartnerApp> {
  const [row] = await run<PartnerAppRow>(
    db,
    sql`WITH changed AS (UPDATE service_accounts sa
           SET previous_secret_hash = CASE WHEN ${graceSeconds}::int > 0 THEN sa.secret_hash END,
               previous_secret_expires_at = CASE WHEN ${graceSeconds}::int > 0 THEN now() + make_interval(secs => ${graceSeconds}::int) END,
               secret_hash = ${secretHash}
         WHERE sa.id = ${id}::uuid
        RETURNING ${COLUMNS})
        SELECT * FROM changed`,
  );
  return toPartnerApp(row);
}

/** Revokes the app: it signs in no more, no secret of it works, and its sessions end (so its tokens). Returns how many ended. */
export async function markPartnerAppRevoked(
  db: Queryable,
  id: string,
  reason: string,
): Promise<{ app: PartnerApp; sessionsEnded: number }> {
  const [row] = await run<PartnerAppRow>(
    db,
    sql`WITH changed AS (UPDATE service_accounts sa
           SET disabled_at = now(), revoked_reason = ${reason}, previous_secret_hash = NULL, previous_secret_expires_at = NULL
         WHERE sa.id = ${id}::uuid
        RETURNING ${COLUMNS})
        SELECT * FROM changed`,
  );
  const ended = await run<{ id: string }>(
    db,
    sql`WITH ended AS (UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'partner app revoked'
                        WHERE service_account_id = ${id}::uuid AND revoked_at IS NULL RETURNING id)
        SELECT id FROM ended`,
  );
  return { app: toPartnerApp(row), sessionsEnded: ended.length };
}

/** A trusted document as stored: its text, by the sha256 hex of that text. */
export interface StoredTrustedDocument {
  name: string;
  type: string;
  body: string;
}

/** Sets the app's trusted documents (null: clears them, any operation its scopes allow). */
export async function setTrustedDocuments(
  db: Queryable,
  id: string,
  documents: Record<string, StoredTrustedDocument> | null,
): Promise<PartnerApp> {
  const json = documents === null ? null : JSON.stringify(documents);
  const [row] = await run<PartnerAppRow>(
    db,
    sql`WITH changed AS (UPDATE service_accounts sa
           SET trusted_documents = ${json}::jsonb, trusted_documents_set_at = CASE WHEN ${json}::jsonb IS NULL THEN NULL ELSE now() END
         WHERE sa.id = ${id}::uuid
        RETURNING ${COLUMNS})
        SELECT * FROM changed`,
  );
  return toPartnerApp(row);
}

/** Apps within `scope` (alias `sa`), newest first. */
export async function listPartnerApps(db: Queryable, scope: Sql, args: PageRequest): Promise<Page<PartnerApp>> {
  const page = await keysetPage<PartnerAppRow>(
    db,
    {
      list: 'partnerApps',
      select: COLUMNS,
      from: raw('service_accounts sa'),
      where: scope,
      sortColumn: raw('sa.created_at'),
      idColumn: raw('sa.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toPartnerApp(node) })) };
}

/**
 * What a live app's allow-list says of one document hash: whether it has an allow-list at all, and
 * the document's text when the hash is on it. Undefined for an app revoked or unknown.
 */
export async function trustedDocumentLookup(
  db: Queryable,
  serviceAccountId: string,
  hash: string,
): Promise<{ listed: boolean; body: string | null } | undefined> {
  const [row] = await run<{ listed: boolean; body: string | null }>(
    db,
    sql`SELECT sa.trusted_documents IS NOT NULL AS listed, sa.trusted_documents -> ${hash} ->> 'body' AS body
          FROM service_accounts sa WHERE sa.id = ${serviceAccountId}::uuid AND sa.disabled_at IS NULL`,
  );
  return row;
}
