import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { and, raw, run, sql, type Queryable, type Sql } from '../db/sql';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { keysetPage, type Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { involvementReadScope, knownToAgency, requireScope } from '../policy/records';
import { normaliseNhsNumber } from '../subjects/nhs-number';
import { InvolvementKind } from './involvement.enums';
import { INVOLVEMENT_COLUMNS, type InvolvementRow, toInvolvementView } from './involvement.queries';
import type { Involvement, InvolvementInput, InvolvementListArgs } from './involvement.types';

/**
 * The involvement each kind of agency registers, and the identifier it gives out, as a test on the
 * subject `$1`. The subject is not yet known to the agency, so outside its row-level security:
 * subject_has_identifier matches the identifier of the caller's kind of agency, and answers only that.
 */
const hasIdentifier = (kind: AgencyKind) => (subjectId: string, id: string) =>
  sql`subject_has_identifier(${subjectId}::uuid, ${kind}, ${id})`;
const AGENCY_INVOLVEMENT: Partial<Record<AgencyKind, { kind: InvolvementKind; identifier: (subjectId: string, id: string) => Sql }>> = {
  [AgencyKind.EDUCATION]: { kind: InvolvementKind.PUPIL_ON_ROLL, identifier: hasIdentifier(AgencyKind.EDUCATION) },
  [AgencyKind.SOCIAL_CARE]: { kind: InvolvementKind.OPEN_CASE, identifier: hasIdentifier(AgencyKind.SOCIAL_CARE) },
  [AgencyKind.HEALTH]: {
    kind: InvolvementKind.PATIENT,
    identifier: (subjectId, id) => hasIdentifier(AgencyKind.HEALTH)(subjectId, normaliseNhsNumber(id)),
  },
  [AgencyKind.VOLUNTARY]: { kind: InvolvementKind.SUPPORTED, identifier: () => raw('false') },
};

async function findInvolvement(db: Queryable, principal: Principal, id: string, lock = false): Promise<Involvement> {
  const [row] = await run<InvolvementRow>(
    db,
    sql`SELECT ${INVOLVEMENT_COLUMNS} FROM involvements i WHERE i.id = ${id}::uuid AND ${requireScope(involvementReadScope(principal))}
        ${raw(lock ? 'FOR UPDATE' : '')}`,
  );
  if (!row) throw notFound('Involvement', 'id');
  return toInvolvementView(row);
}

/**
 * Registers the caller's agency's involvement with a subject. The subject must already be known to
 * the agency, or the input must carry the identifier the agency issues (a school's UPN for its pupil)
 * matching the subject's: otherwise NOT_FOUND, as for a missing subject, so an involvement cannot be
 * used to reach an arbitrary child. A break-glass grant does not count: it must not become standing access.
 */
export async function registerInvolvement(ctx: RequestContext, subjectId: string, input: InvolvementInput): Promise<Involvement> {
  const principal = authorize(ctx, Permission.REGISTER_INVOLVEMENTS);
  const fit = AGENCY_INVOLVEMENT[principal.agency.kind];
  if (!fit || fit.kind !== input.kind) {
    throw badInput(`A ${principal.agency.kind} agency registers ${fit?.kind ?? 'no'} involvements`, 'input.kind');
  }
  const identifier = input.identifier?.trim();
  const known = sql`EXISTS (SELECT 1 FROM subjects s WHERE s.id = ${subjectId}::uuid AND ${knownToAgency(principal.agency.id)})`;
  const reachable = identifier ? sql`(${known} OR ${fit.identifier(subjectId, identifier)})` : known;
  return inTransaction(ctx, async (ctx) => {
    const [{ found }] = await run<{ found: boolean }>(ctx.db, sql`SELECT ${reachable} AS found`);
    if (!found) throw notFound('Subject', 'subjectId');
    let id: string;
    try {
      [{ id }] = await run<{ id: string }>(
        ctx.db,
        sql`INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id)
            VALUES (${subjectId}::uuid, ${principal.agency.id}::uuid, ${input.kind}, ${input.lawfulBasis}, ${input.contact.trim()}, ${principal.id}::uuid)
            RETURNING id`,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('Your agency already has an active involvement of this kind', { field: 'input.kind' });
      throw error;
    }
    const involvement = await findInvolvement(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'involvement', id, action: 'registered', before: null, after: involvement });
    return involvement;
  });
}

/** Ends an own-agency involvement with a reason (SAFEGUARDING_LEAD). It stays, ended, in the record. */
export async function endInvolvement(ctx: RequestContext, id: string, reason: string): Promise<Involvement> {
  const principal = authorize(ctx, Permission.MANAGE_INVOLVEMENTS);
  return inTransaction(ctx, async (ctx) => {
    const before = await findInvolvement(ctx.db, principal, id, true);
    if (!before.active) throw badInput('This involvement has already ended', 'id');
    await run(
      ctx.db,
      sql`UPDATE involvements SET ended_at = now(), ended_by_user_id = ${principal.id}::uuid, end_reason = ${reason.trim()}
           WHERE id = ${id}::uuid`,
    );
    const after = await findInvolvement(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'involvement', id, action: 'ended', before, after });
    return after;
  });
}

/** Involvements newest first within the caller's scope (police: all; care readers: their agency's). */
export async function listInvolvements(ctx: RequestContext, args: InvolvementListArgs): Promise<Page<Involvement>> {
  const principal = authorize(ctx, Permission.READ_INVOLVEMENTS);
  const conditions = [requireScope(involvementReadScope(principal))];
  if (args.filter?.subjectId) conditions.push(sql`i.subject_id = ${args.filter.subjectId}::uuid`);
  if (args.filter?.active != null) conditions.push(args.filter.active ? raw('i.ended_at IS NULL') : raw('i.ended_at IS NOT NULL'));
  const page = await keysetPage<InvolvementRow>(
    ctx.db,
    {
      list: 'involvements',
      select: INVOLVEMENT_COLUMNS,
      from: raw('involvements i'),
      where: and(conditions),
      sortColumn: raw('i.registered_at'),
      idColumn: raw('i.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toInvolvementView(e.node) })) };
}
