import type { Principal } from '../auth/principal';
import { type Sql, sql } from '../db/sql';
import { Role } from './roles';

/**
 * Who manages webhooks (docs/notifications.md, "Webhooks"): an agency's ADMIN, for its own agency
 * only. Another agency's endpoint, or its deliveries, are out of reach: NOT_FOUND, as if they did
 * not exist. Row security (migrations/1766800000100-webhooks.ts) mirrors these scopes.
 */

/** An agency's administrator: the one who registers, rotates and disables its receivers. */
export const managesWebhooks = (p: Principal) => p.kind === 'USER' && p.roles.includes(Role.ADMIN);

/** The agency whose endpoints `p` registers and manages. */
export function webhookAgencyOf(admin: Principal): string {
  return admin.agency.id;
}

/** The endpoints `p` manages, as SQL on the endpoints alias `we`; null: none at all. */
export function webhookEndpointScope(p: Principal): Sql | null {
  return managesWebhooks(p) ? sql`we.agency_id = ${webhookAgencyOf(p)}::uuid` : null;
}

/** The deliveries `p` reads and redelivers (those of its endpoints), on the deliveries alias `wd`; null: none. */
export function webhookDeliveryScope(p: Principal): Sql | null {
  return managesWebhooks(p)
    ? sql`wd.endpoint_id IN (SELECT we.id FROM webhook_endpoints we WHERE we.agency_id = ${webhookAgencyOf(p)}::uuid)`
    : null;
}
