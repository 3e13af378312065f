import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { findReport, lockReport } from '../intelligence/intelligence.queries';
import type { IntelligenceReport } from '../intelligence/intelligence.types';
import { authorize } from '../policy/authorize';
import { decide, Permission } from '../policy/permissions';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number';
import { MatchReason } from './subject.enums';
import { findSubject, insertReportSubject, insertSubject, linkedRole, listSubjects, possibleMatches } from './subject.queries';
import type { Page } from '../db/paging';
import type { LinkSubjectInput, NewSubjectInput, Subject, SubjectListArgs, SubjectMatch } from './subject.types';

const IDENTIFIERS = ['policeReference', 'nhsNumber', 'schoolUpn', 'socialCareId'] as const;

/**
 * Checks a new subject's details and returns them cleaned (trimmed, NHS number without spaces,
 * null as absent). A blank identifier is refused: it identifies nobody, and two blanks would
 * otherwise match each other as the same person.
 */
function readNewSubject(input: NewSubjectInput, field: string): NewSubjectInput {
  const identifiers: Pick<NewSubjectInput, (typeof IDENTIFIERS)[number]> = {};
  for (const key of IDENTIFIERS) {
    const value = input[key]?.trim();
    if (value === '') throw badInput(`${key} must not be blank: leave it out when unknown`, `${field}.${key}`);
    identifiers[key] = value;
  }
  if (input.aliases?.some((a) => !a.trim())) throw badInput('aliases must not be blank', `${field}.aliases`);
  if (identifiers.nhsNumber !== undefined && !isValidNhsNumber(identifiers.nhsNumber)) {
    throw badInput('nhsNumber is not a valid NHS number (10 digits with a correct check digit)', `${field}.nhsNumber`);
  }
  if (input.dateOfBirth != null) {
    const today = new Date().toISOString().slice(0, 10);
    if (input.dateOfBirth > today) throw badInput('dateOfBirth must not be in the future', `${field}.dateOfBirth`);
    if (input.dateOfBirth < '1900-01-01') throw badInput('dateOfBirth is implausibly early', `${field}.dateOfBirth`);
    if (input.approximateAge != null) throw badInput('Give a date of birth or an approximate age, not both', `${field}.approximateAge`);
  }
  return {
    ...input,
    ...identifiers,
    fullName: input.fullName.trim().replace(/\s+/g, ' '),
    aliases: input.aliases?.map((a) => a.trim()),
    nhsNumber: identifiers.nhsNumber && normaliseNhsNumber(identifiers.nhsNumber),
  };
}

/**
 * For a caller checking before linking: who might this person already be? Name likeness is fuzzy
 * search, reserved for police ANALYST and SUPERVISOR (docs/api.md, "Roles"); an investigator checks identifiers.
 * (Linking a new subject still refuses one resembling another by name: that protects the record.)
 */
export async function findPossibleMatches(ctx: RequestContext, candidate: NewSubjectInput): Promise<SubjectMatch[]> {
  const principal = authorize(ctx, Permission.LINK_SUBJECTS);
  const byName = decide(Permission.SEARCH_RECORDS, principal) === 'ALLOW';
  return possibleMatches(ctx.db, principal, readNewSubject(candidate, 'candidate'), byName);
}

async function createSubject(
  ctx: RequestContext,
  principal: Principal,
  input: NewSubjectInput,
  allowPossibleDuplicate: boolean,
): Promise<string> {
  const matches = await possibleMatches(ctx.db, principal, input);
  const sameIdentifier = matches.some((m) => m.reason === MatchReason.IDENTIFIER);
  if (sameIdentifier || (matches.length && !allowPossibleDuplicate)) {
    throw conflict(
      sameIdentifier
        ? 'A subject with this identifier already exists: link them by subjectId'
        : 'This person may already be known: link one of possibleMatches by subjectId, or set allowPossibleDuplicate',
      {
        field: 'input.newSubject',
        possibleMatches: matches.map((m) => ({ subjectId: m.subject.id, confidence: m.confidence, reason: m.reason })),
      },
    );
  }
  try {
    const id = await insertSubject(ctx.db, principal, input);
    await recordChange(ctx, {
      kind: 'subject',
      id,
      action: 'created',
      before: null,
      after: await findSubject(ctx.db, principal, id),
    });
    return id;
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('A subject with this identifier already exists: link them by subjectId', { field: 'input.newSubject' });
    throw error;
  }
}

/**
 * Links a subject to a report with their role in it, creating the subject if new. A new subject
 * who resembles an existing one is refused with the possible matches, so no flag lands on a
 * duplicate of the right child. Re-linking with the same role changes nothing; with another role
 * it is CONFLICT (a perpetrator never silently becomes a victim).
 */
export async function linkSubject(ctx: RequestContext, reportId: string, input: LinkSubjectInput): Promise<IntelligenceReport> {
  const principal = authorize(ctx, Permission.LINK_SUBJECTS);
  if ((input.subjectId == null) === (input.newSubject == null)) {
    throw badInput('Give exactly one of subjectId and newSubject', 'input.subjectId');
  }
  const newSubject = input.newSubject && readNewSubject(input.newSubject, 'input.newSubject');
  return inTransaction(ctx, async (ctx) => {
    if (!(await lockReport(ctx.db, principal, reportId))) throw notFound('Intelligence report', 'reportId');
    const subjectId = input.subjectId ?? (await createSubject(ctx, principal, newSubject!, input.allowPossibleDuplicate ?? false));
    if (input.subjectId) await findSubject(ctx.db, principal, input.subjectId, 'input.subjectId');

    const existing = await linkedRole(ctx.db, reportId, subjectId);
    if (existing && existing !== input.role)
      throw conflict(`This subject is already linked to the report as ${existing}`, { field: 'input.role' });
    if (!existing) {
      await insertReportSubject(ctx.db, principal, { reportId, subjectId, role: input.role });
      await recordChange(ctx, {
        kind: 'intelligence_report',
        id: reportId,
        action: 'subject_linked',
        before: null,
        after: { subjectId, role: input.role },
      });
    }
    return findReport(ctx.db, principal, reportId);
  });
}

export function getSubject(ctx: RequestContext, id: string): Promise<Subject> {
  return findSubject(ctx.db, authorize(ctx, Permission.READ_SUBJECTS), id);
}

export function listSubjectsFor(ctx: RequestContext, args: SubjectListArgs): Promise<Page<Subject>> {
  return listSubjects(ctx.db, authorize(ctx, Permission.READ_SUBJECTS), args);
}
