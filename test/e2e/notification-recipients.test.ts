import fc from 'fast-check';
import { fanOutNotice } from '../../src/notifications/fan-out';
import { NotificationType } from '../../src/notifications/notification.enums';
import { recordWriter } from '../support/policy-records';
import { startTestApp, type TestApp } from '../support/test-app';

// Who is told is decided in policy, from who knows the subject: over arbitrary involvements,
// reports and disclosures, no agency is ever told of a subject it does not know, and every agency
// in the subject's care that should be told is.

let app: TestApp;
interface Agency {
  id: string;
  kind: string;
  name: string;
}
let agencies: Agency[];
let careAgencies: Agency[];
const userOf: Record<string, string> = {};
let police: Agency;
let policeUser: string;

beforeAll(async () => {
  app = await startTestApp();
  agencies = (await app.ownerQuery(`SELECT id, kind::text AS kind, name FROM agencies WHERE status = 'ACTIVE' ORDER BY name`)) as Agency[];
  police = agencies.find((a) => a.kind === 'POLICE')!;
  careAgencies = agencies.filter((a) => ['SOCIAL_CARE', 'EDUCATION', 'HEALTH', 'VOLUNTARY'].includes(a.kind));
  for (const a of agencies) {
    const [u] = (await app.ownerQuery(`SELECT id FROM users WHERE agency_id = $1 AND disabled_at IS NULL ORDER BY email LIMIT 1`, [
      a.id,
    ])) as {
      id: string;
    }[];
    if (u) userOf[a.id] = u.id;
  }
  policeUser = userOf[police.id];
}, 60_000);

afterAll(async () => {
  await app?.close();
});

/** A care agency's relation to the fresh subject: none, an involvement (live or ended), its own report, or a disclosure. */
const relation = fc.constantFrom('NONE', 'INVOLVED', 'ENDED', 'REPORTED', 'DISCLOSED', 'DISCLOSURE_REVOKED');

async function knownTo(subjectId: string): Promise<Set<string>> {
  // app.db acts in the system context, in which subjects_known_to answers for any agency.
  const rows = await app.db.query<{ id: string }[]>(
    `SELECT a.id FROM agencies a WHERE a.kind = 'POLICE' OR $1::uuid IN (SELECT subjects_known_to(a.id))`,
    [subjectId],
  );
  return new Set(rows.map((r) => r.id));
}

it('tells no agency of a subject unknown to it, and tells every involved agency of out-of-care reads', async () => {
  const w = recordWriter(app);
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(relation, { minLength: careAgencies.length, maxLength: careAgencies.length }),
      fc.constantFrom(...Object.values(NotificationType)),
      fc.nat({ max: 100 }),
      fc.nat({ max: 100 }),
      async (relations, type, actingPick, targetPick) => {
        round++;
        const subject = await w.subject(police.id, `Synthetic Recipient Subject ${round}`);
        const report = await w.report(police.id, { userId: policeUser });
        await w.link(report, subject, policeUser);
        for (const [i, rel] of relations.entries()) {
          const agency = careAgencies[i];
          const user = userOf[agency.id];
          if (!user) continue;
          if (rel === 'INVOLVED' || rel === 'ENDED')
            await w.involvement(subject, agency.id, user, involvementKind(agency.kind), rel === 'ENDED');
          if (rel === 'REPORTED') await w.link(await w.report(agency.id, { userId: user }), subject, policeUser);
          if (rel === 'DISCLOSED' || rel === 'DISCLOSURE_REVOKED')
            await w.disclosure(report, agency.id, policeUser, rel === 'DISCLOSED' ? 'ACTIVE' : 'REVOKED');
        }
        const acting = agencies[actingPick % agencies.length];
        const target = agencies[targetPick % agencies.length];
        const [{ id }] = (await app.ownerQuery(
          `INSERT INTO notification_events (type, record_kind, record_id, acting_agency_id, acting_principal_id, target_agency_id, target_principal_id)
           VALUES ($1, 'subject', $2, $3, $4, $5, $6) RETURNING id`,
          [type, subject, acting.id, userOf[acting.id] ?? null, target.id, userOf[target.id] ?? null],
        )) as { id: string }[];
        await fanOutNotice(app.db, id);

        const known = await knownTo(subject);
        const told = (await app.ownerQuery(`SELECT recipient_agency_id AS id, recipient_id FROM notifications WHERE event_id = $1`, [
          id,
        ])) as {
          id: string;
          recipient_id: string;
        }[];
        const [audit] = (await app.ownerQuery(`SELECT details FROM audit_events WHERE action = 'NOTIFY' AND $1 = ANY(record_ids)`, [
          id,
        ])) as {
          details: { webhookAgencyIds: string[] };
        }[];
        for (const agency of [...told.map((t) => t.id), ...audit.details.webhookAgencyIds])
          expect({ type, agency, known: known.has(agency) }).toEqual({ type, agency, known: true });
        // The actor is never told of their own act; a reading agency never of its own read.
        expect(told.some((t) => t.recipient_id === userOf[acting.id])).toBe(false);
        if (type === NotificationType.SUBJECT_ACCESSED) {
          expect(told.some((t) => t.id === acting.id)).toBe(false);
          const involved = careAgencies.filter((a, i) => relations[i] === 'INVOLVED' && a.id !== acting.id && userOf[a.id]);
          expect(new Set(audit.details.webhookAgencyIds)).toEqual(new Set(involved.map((a) => a.id)));
        }
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);

function involvementKind(kind: string): string {
  return { SOCIAL_CARE: 'OPEN_CASE', EDUCATION: 'PUPIL_ON_ROLL', HEALTH: 'PATIENT', VOLUNTARY: 'SUPPORTED' }[kind]!;
}

describe('several instances', () => {
  it('fans each notice out once, whichever instance takes it', async () => {
    const first = await startTestApp({ PUSH_WORKERS: 'true', PUSH_WORKER_CONCURRENCY: '4' });
    const second = await startTestApp({ PUSH_WORKERS: 'true', PUSH_WORKER_CONCURRENCY: '4' }, first);
    try {
      const subjects = (await first.ownerQuery(`SELECT id FROM subjects ORDER BY id LIMIT 30`)) as { id: string }[];
      const ids = (await first.ownerQuery(
        `INSERT INTO notification_events (type, record_kind, record_id, acting_agency_id)
         SELECT 'FLAG_APPROVED', 'subject', s, $2::uuid FROM unnest($1::uuid[]) s RETURNING id`,
        [subjects.map((s) => s.id), police.id],
      )) as { id: string }[];
      const until = Date.now() + 20_000;
      for (;;) {
        const [{ n }] = (await first.ownerQuery(`SELECT count(*)::int AS n FROM notification_events WHERE fanned_out_at IS NULL`)) as {
          n: number;
        }[];
        if (n === 0 || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const audits = (await first.ownerQuery(
        `SELECT r AS id, count(*)::int AS n FROM audit_events, unnest(record_ids) r WHERE action = 'NOTIFY' AND r = ANY($1::uuid[]) GROUP BY r`,
        [ids.map((i) => i.id)],
      )) as { id: string; n: number }[];
      expect(audits).toHaveLength(ids.length);
      expect(audits.every((a) => a.n === 1)).toBe(true);
    } finally {
      await second.close();
      await first.close();
    }
  }, 60_000);
});
