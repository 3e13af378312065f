import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, raw, run, sql, type Queryable, type Sql } from '../db/sql';
import type { LegalGateway } from '../disclosures/disclosure.enums';
import { AGREEMENT_DUE_FOR_REVIEW, agreementCovers } from '../policy/agreements';
import type { AgreementStatus, SharedDataCategory } from './agreement.enums';
import type { AgreementFilter, InformationSharingAgreement } from './agreement.types';

interface AgreementRow {
  id: string;
  reference: string;
  title: string;
  purpose: string;
  gateways: LegalGateway[];
  data_categories: SharedDataCategory[];
  conditions: string | null;
  starts_on: string;
  review_on: string;
  ends_on: string | null;
  status: AgreementStatus;
  status_reason: string | null;
  due_for_review: boolean;
  registered_at: Date;
  updated_at: Date;
  party_agency_ids: string[];
}

// Enum arrays come back as text arrays (node-postgres knows no custom array types).
const AGREEMENT_COLUMNS = sql`isa.id, isa.reference, isa.title, isa.purpose, isa.gateways::text[] AS gateways,
  isa.data_categories::text[] AS data_categories, isa.conditions, isa.starts_on::text AS starts_on, isa.review_on::text AS review_on,
  isa.ends_on::text AS ends_on, isa.status, isa.status_reason, ${AGREEMENT_DUE_FOR_REVIEW} AS due_for_review,
  isa.registered_at, isa.updated_at,
  ARRAY(SELECT ap.agency_id FROM agreement_parties ap WHERE ap.agreement_id = isa.id ORDER BY ap.agency_id) AS party_agency_ids`;

const toView = (row: AgreementRow): InformationSharingAgreement => ({
  id: row.id,
  reference: row.reference,
  title: row.title,
  purpose: row.purpose,
  gateways: row.gateways,
  dataCategories: row.data_categories,
  conditions: row.conditions,
  startsOn: row.starts_on,
  reviewOn: row.review_on,
  endsOn: row.ends_on,
  status: row.status,
  statusReason: row.status_reason,
  dueForReview: row.due_for_review,
  registeredAt: row.registered_at,
  updatedAt: row.updated_at,
  partyAgencyIds: row.party_agency_ids,
});

/** One agreement within `scope` (alias `isa`), optionally locked for a change. */
export async function findAgreement(db: Queryable, scope: Sql, id: string, lock = false): Promise<InformationSharingAgreement | undefined> {
  const [row] = await run<AgreementRow>(
    db,
    sql`SELECT ${AGREEMENT_COLUMNS} FROM information_sharing_agreements isa WHERE isa.id = ${id}::uuid AND ${scope} ${raw(lock ? 'FOR UPDATE OF isa' : '')}`,
  );
  return row && toView(row);
}

/** An agreement just written or changed by its manager (who reads every agreement), as it now stands. */
export async function readBackAgreement(db: Queryable, id: string): Promise<InformationSharingAgreement> {
  return (await findAgreement(db, raw('true'), id))!;
}

/** Agreements newest registered first within `scope` (alias `isa`), filtered. */
export async function listAgreementPage(
  db: Queryable,
  scope: Sql,
  filter: AgreementFilter,
  args: PageRequest,
): Promise<Page<InformationSharingAgreement>> {
  const conditions = [scope];
  if (filter.status) conditions.push(sql`isa.status = ${filter.status}::agreement_status`);
  if (filter.dueForReview != null) conditions.push(filter.dueForReview ? AGREEMENT_DUE_FOR_REVIEW : sql`NOT ${AGREEMENT_DUE_FOR_REVIEW}`);
  if (filter.partyAgencyId) {
    conditions.push(
      sql`EXISTS (SELECT 1 FROM agreement_parties f_p WHERE f_p.agreement_id = isa.id AND f_p.agency_id = ${filter.partyAgencyId}::uuid)`,
    );
  }
  const page = await keysetPage<AgreementRow>(
    db,
    {
      list: 'informationSharingAgreements',
      select: AGREEMENT_COLUMNS,
      from: raw('information_sharing_agreements isa'),
      where: and(conditions),
      sortColumn: raw('isa.registered_at'),
      idColumn: raw('isa.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toView(e.node) })) };
}

/** How many of these agency ids name agencies. */
export async function countAgencies(db: Queryable, ids: readonly string[]): Promise<number> {
  const [{ n }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM agencies WHERE id = ANY(${[...ids]}::uuid[])`);
  return n;
}

export interface NewAgreement {
  reference: string;
  title: string;
  purpose: string;
  partyAgencyIds: string[];
  gateways: LegalGateway[];
  dataCategories: SharedDataCategory[];
  conditions: string | null;
  startsOn: string;
  reviewOn: string;
  endsOn: string | null;
  status: AgreementStatus;
  registeredByUserId: string;
}

/** Registers an agreement and its parties in one statement; a reference already taken is a unique violation. */
export async function insertAgreement(db: Queryable, a: NewAgreement): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`WITH isa AS (
          INSERT INTO information_sharing_agreements (reference, title, purpose, gateways, data_categories, conditions, starts_on, review_on,
                                                      ends_on, status, registered_by_user_id)
          VALUES (${a.reference}, ${a.title}, ${a.purpose}, ${a.gateways}::legal_gateway[], ${a.dataCategories}::shared_data_category[],
                  ${a.conditions}, ${a.startsOn}::date, ${a.reviewOn}::date, ${a.endsOn}::date, ${a.status}::agreement_status,
                  ${a.registeredByUserId}::uuid)
          RETURNING id),
        parties AS (INSERT INTO agreement_parties (agreement_id, agency_id) SELECT isa.id, p FROM isa, unnest(${a.partyAgencyIds}::uuid[]) p)
        SELECT id FROM isa`,
  );
  return id;
}

export async function updateAgreementStatus(db: Queryable, id: string, status: AgreementStatus, reason: string): Promise<void> {
  await run(
    db,
    sql`UPDATE information_sharing_agreements SET status = ${status}::agreement_status, status_reason = ${reason}, updated_at = now(),
               ends_on = CASE WHEN ${status} = 'ENDED' THEN least(coalesce(ends_on, current_date), current_date) ELSE ends_on END
         WHERE id = ${id}::uuid`,
  );
}

export async function updateAgreementReview(db: Queryable, id: string, nextReviewOn: string, note: string): Promise<void> {
  await run(
    db,
    sql`UPDATE information_sharing_agreements SET review_on = ${nextReviewOn}::date, status_reason = ${note}, updated_at = now()
         WHERE id = ${id}::uuid`,
  );
}

/** The agreement, if it covers a disclosure from `disclosingAgencyId` to `recipientAgencyId` under `gateway` (share-locked until the disclosure is written). */
export async function lockCoveringAgreement(
  db: Queryable,
  id: string,
  disclosingAgencyId: string,
  recipientAgencyId: string,
  gateway: LegalGateway,
): Promise<boolean> {
  const [row] = await run(
    db,
    sql`SELECT isa.id FROM information_sharing_agreements isa
         WHERE isa.id = ${id}::uuid AND ${agreementCovers(disclosingAgencyId, recipientAgencyId, gateway)} FOR SHARE`,
  );
  return row !== undefined;
}

/** Agreements in force whose review date has come, for the review clock (system context). */
export async function agreementsDueForReview(db: Queryable, limit: number): Promise<{ id: string; review_on: string }[]> {
  return run(
    db,
    sql`SELECT isa.id, isa.review_on::text AS review_on FROM information_sharing_agreements isa
         WHERE ${AGREEMENT_DUE_FOR_REVIEW} ORDER BY isa.review_on, isa.id LIMIT ${limit}`,
  );
}
