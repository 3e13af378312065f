import { raw } from '../db/sql';
import type { Involvement } from './involvement.types';
import type { InvolvementKind, LawfulBasis } from './involvement.enums';

export interface InvolvementRow {
  id: string;
  subject_id: string;
  agency_id: string;
  kind: InvolvementKind;
  lawful_basis: LawfulBasis;
  contact: string;
  registered_by_user_id: string;
  registered_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export const INVOLVEMENT_COLUMNS = raw(`i.id, i.subject_id, i.agency_id, i.kind, i.lawful_basis, i.contact, i.registered_by_user_id,
  i.registered_at, i.ended_at, i.end_reason`);

export const toInvolvementView = (row: InvolvementRow): Involvement => ({
  id: row.id,
  subjectId: row.subject_id,
  agencyId: row.agency_id,
  kind: row.kind,
  lawfulBasis: row.lawful_basis,
  contact: row.contact,
  registeredByUserId: row.registered_by_user_id,
  registeredAt: row.registered_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  active: row.ended_at === null,
});
