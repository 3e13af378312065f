import type { Principal } from '../auth/principal';
import { forbidden } from '../errors';
import { isPoliceCaseReader } from './permissions';
import { disclosureRedactions, flagRedactions, reportRedactions, subjectRedactions } from './records';

/** The kinds of record whose fields are redacted per principal (each view carries `redactedFields`). */
export type RedactedKind = 'IntelligenceReport' | 'Subject' | 'Disclosure' | 'Flag';

/**
 * Whether a field of a record as viewed is withheld: the view's `redactedFields`, computed once by
 * the policy for that record and principal. Every field resolver asks this, never the roles itself.
 */
export const withheld = (view: { redactedFields: readonly string[] }, field: string): boolean => view.redactedFields.includes(field);

/**
 * The fields of `kind` withheld from the principal on some record of it. A field decided per record
 * (a report's `subjects`, shown to a care reader only on its break-glass reports) counts when any
 * record withholds it.
 */
export function withheldSomewhere(p: Principal, kind: RedactedKind): string[] {
  switch (kind) {
    case 'IntelligenceReport':
      return reportRedactions(p, isPoliceCaseReader(p));
    case 'Subject':
      return subjectRedactions(p);
    case 'Disclosure':
      return disclosureRedactions(p);
    case 'Flag':
      return flagRedactions(p);
  }
}

/**
 * Whether the principal may filter (or match) records of `kind` on a field: a filter must not reveal
 * a withheld field, so a field withheld from the principal on any record of the kind is not filterable.
 */
export function mayFilterOn(p: Principal, kind: RedactedKind, field: string): boolean {
  return !withheldSomewhere(p, kind).includes(field);
}

/**
 * A filter the caller asked for on a field it may not filter on (mayFilterOn) is FORBIDDEN. The
 * filter's SQL also applies the field's own edge scope (policy/edges.ts), so even where allowed it
 * matches only what the field would show.
 */
export function assertFilterable(p: Principal, kind: RedactedKind, field: string, message: string): void {
  if (!mayFilterOn(p, kind, field)) throw forbidden(message);
}
