import { inTransaction, type RequestContext } from '../context/request-context';
import { GrantKind } from '../grants/grant.enums';
import { requestGrant } from '../grants/grant.service';
import { recordChanges } from '../history/history.service';
import { AgencyStatus } from './agency-status';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict } from '../errors';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import type { AgencyEntity } from './agency.entity';
import { agenciesByName, divisionsByName, findDivisions, insertAgency } from './agency.queries';
import type { CreateAgencyInput } from './agency.types';
import type { DivisionEntity } from './division.entity';

/** All agencies, by name: the directory every agency needs (e.g. to name a disclosure's recipient). */
export function listAgencies(ctx: RequestContext): Promise<AgencyEntity[]> {
  authorize(ctx, Permission.SIGNED_IN);
  return agenciesByName(ctx.db);
}

export function listDivisions(ctx: RequestContext): Promise<DivisionEntity[]> {
  authorize(ctx, Permission.SIGNED_IN);
  return divisionsByName(ctx.db);
}

/**
 * Registers a new agency (OVERSIGHT ADMIN), PENDING_APPROVAL: its users cannot sign in until a
 * different OVERSIGHT administrator approves its grant. Names are unique regardless of case.
 */
export async function createAgency(ctx: RequestContext, input: CreateAgencyInput): Promise<AgencyEntity> {
  const admin = authorize(ctx, Permission.MANAGE_AGENCIES);
  const name = input.name.trim();
  const divisionIds = input.divisionIds ?? [];
  const divisions = divisionIds.length ? await findDivisions(ctx.db, divisionIds) : [];
  const unknown = divisionIds.filter((id) => !divisions.some((d) => d.id === id));
  if (unknown.length) throw badInput(`Unknown division: ${unknown.join(', ')}`, 'divisionIds');
  try {
    return await inTransaction(ctx, async (ctx) => {
      const agency = await insertAgency(ctx.db, { name, kind: input.kind, status: AgencyStatus.PENDING_APPROVAL, divisions });
      const { change } = await requestGrant(ctx.db, admin, { kind: GrantKind.AGENCY, agencyId: agency.id, userId: null, roles: [] });
      const record = { id: agency.id, name, kind: agency.kind, status: agency.status, divisionIds: divisions.map((d) => d.id) };
      await recordChanges(ctx, [{ kind: 'agency', id: agency.id, action: 'created', before: null, after: record }, change]);
      return agency;
    });
  } catch (error) {
    // The unique index on lower(name) decides, so two racing requests cannot both win.
    if (isUniqueViolation(error)) throw conflict('An agency with this name already exists');
    throw error;
  }
}
