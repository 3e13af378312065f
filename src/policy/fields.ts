import type { Principal } from '../auth/principal';
import { forbidden } from '../errors';
import { reportSubjectLinkScope } from './edges';
import { disclosureRedactions, flagRedactions, reportRedactions, subjectRedactions } from './records';

/** The kinds of record whose fields are redacted per principal (each view carries `redactedFields`). */
export type RedactedKind = 'IntelligenceReport' | 'Subject' | 'Disclosure' | 'Flag';

/**
 * Whether a field of a record as viewed is withheld: the view's `redactedFields`, computed once by
 * the policy for that record and principal. Every field resolver asks this, never the roles itself.
 */
export const withheld = (view: { redactedFields: readonly string[] }, field: string): boolean => view.redactedFields.includes(field);

/**
 * The fields of `kind` withheld from the principal on every record of it. A field decided per
 * record (a report's `subjects`) counts only when no record could show it.
 */
export function withheldEverywhere(p: Principal, kind: RedactedKind): string[] {
  switch (kind) {
    case 'IntelligenceReport':
      return reportRedactions(p, reportSubjectLinkScope(p) !== null);
    case 'Subject':
      return subjectRedactions(p);
    case 'Disclosure':
      return disclosureRedactions(p);
    case 'Flag':
      return flagRedactions(p);
  }
}

/**
 * A filter must not reveal a withheld field: filtering on a field withheld from the principal on
 * every record is FORBIDDEN. Where some records show it, the filter's SQL applies the same edge
 * scope as the field (policy/edges.ts), so it matches only what the field would show.
 */
export function assertFilterable(p: Principal, kind: RedactedKind, field: string, message: string): void {
  if (withheldEverywhere(p, kind).includes(field)) throw forbidden(message);
}
