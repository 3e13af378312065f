import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { acceptCheckpoint, CheckpointRefused } from '../../src/audit/checkpoint';
import { sealAuditTrail } from '../../src/audit/seal';
import { buildAuditKeyRing } from '../../src/audit/signing-keys';
import { DEMO_USERS } from '../../src/demo/demo-seed';
import { Role } from '../../src/policy/roles';
import { TEST_AUDIT_KEY } from '../support/test-config';
import { codes, startTestApp, type TestApp } from '../support/test-app';

interface Checkpoint {
  sealNumber: number;
  sealHash: string;
  issuedAt: string;
  statement: string;
  signature: string;
  publicKeyPem: string;
  algorithm: string;
  keyId: string;
}
interface Verification {
  valid: boolean;
  problem: string | null;
  firstBadEventId: string | null;
  checkedSeals: number;
  lastSealNumber: number | null;
  checkpointSealNumber: number | null;
}

const CHECKPOINT = '{ auditCheckpoint { sealNumber sealHash issuedAt statement signature publicKeyPem algorithm keyId } }';
const VERIFY = `query($cp: AuditCheckpointInput) {
  verifyAuditTrail(checkpoint: $cp) { valid problem firstBadEventId checkedSeals lastSealNumber checkpointSealNumber } }`;

/** Runs statements as the database owner with the append-only triggers off: what a superuser can do. */
async function asOwner(app: TestApp, statements: [string, unknown[]?][]): Promise<void> {
  const owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
  try {
    await owner.query('BEGIN');
    await owner.query('SET LOCAL session_replication_role = replica');
    for (const [text, params] of statements) await owner.query(text, params);
    await owner.query('COMMIT');
  } finally {
    await owner.end();
  }
}

/**
 * Waits until every transaction that has written an event so far has ended, so a seal can cover it:
 * the horizon is cluster-wide, and other work on the same server holds it back for a while at times.
 */
async function settled(db: { query(text: string): Promise<unknown> }): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const [{ ok }] = (await db.query(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce((SELECT tx_id FROM audit_events ORDER BY tx_id DESC LIMIT 1), '0'::xid8) AS ok`,
    )) as { ok: boolean }[];
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sealEverything(app: TestApp): Promise<void> {
  await settled(app.db);
  await sealAuditTrail(app.db);
}

/** A checkpoint once what came before has settled, so the seal it makes first covers it. */
async function checkpointOf(app: TestApp, auditor: string): Promise<Checkpoint> {
  await settled(app.db);
  const r = await app.gql<{ auditCheckpoint: Checkpoint }>(CHECKPOINT, {}, auditor);
  if (!r.body.data?.auditCheckpoint) throw new Error(JSON.stringify(r.body));
  return r.body.data.auditCheckpoint;
}

const verifyWith = async (app: TestApp, auditor: string, cp?: { statement: string; signature: string }) =>
  app.gql<{ verifyAuditTrail: Verification }>(VERIFY, { cp: cp ? { statement: cp.statement, signature: cp.signature } : null }, auditor);

/** Some reads by an analyst, so the trail has fresh events to seal. */
async function traffic(app: TestApp): Promise<void> {
  const analyst = (await app.login('analyst@gmp.example')).accessToken;
  for (let i = 0; i < 3; i++) await app.gql('{ intelligenceReports(first: 2) { totalCount } }', {}, analyst);
}

describe('auditCheckpoint', () => {
  let app: TestApp;
  let auditor: string;
  beforeAll(async () => {
    app = await startTestApp();
    auditor = (await app.login('auditor@oversight.example')).accessToken;
  });
  afterAll(() => app.close());

  it('signs, with ed25519, a statement naming the trail, the newest seal, its last event and the key', async () => {
    await traffic(app);
    const cp = await checkpointOf(app, auditor);
    // Exactly the acceptance check's call.
    expect(verify(null, Buffer.from(cp.statement), cp.publicKeyPem, Buffer.from(cp.signature, 'base64'))).toBe(true);
    expect(cp.algorithm).toBe('ed25519');
    const statement = JSON.parse(cp.statement) as Record<string, unknown>;
    const [newest] = await app.ownerQuery(
      `SELECT id::int AS id, encode(seal_hash, 'hex') AS hash, event_ids[array_length(event_ids, 1)]::text AS last_event_id,
              (SELECT trail_id::text FROM audit_trail_identity) AS trail_id
         FROM audit_seals WHERE id = $1`,
      [cp.sealNumber],
    );
    expect(newest).toMatchObject({ id: cp.sealNumber, hash: cp.sealHash });
    expect(statement).toMatchObject({
      sealNumber: cp.sealNumber,
      sealHash: cp.sealHash,
      trailId: (newest as { trail_id: string }).trail_id,
      lastEventId: (newest as { last_event_id: string }).last_event_id,
      issuedAt: cp.issuedAt,
      keyId: cp.keyId,
      algorithm: 'ed25519',
    });
    // It sealed first: the analyst's reads just before are in the seal.
    const [{ unsealed }] = (await app.ownerQuery(
      `SELECT count(*)::int AS unsealed FROM audit_events WHERE operation_field = 'intelligenceReports'
          AND tx_id >= (SELECT to_tx FROM audit_seals WHERE id = $1)`,
      [cp.sealNumber],
    )) as { unsealed: number }[];
    expect(unsealed).toBe(0);
  });

  it('publishes the same public key at GET /audit/public-key, without signing in', async () => {
    const cp = await checkpointOf(app, auditor);
    const res = await fetch(`${app.baseUrl}/audit/public-key`);
    const body = (await res.json()) as { algorithm: string; currentKeyId: string; keys: { keyId: string; publicKeyPem: string }[] };
    expect(body).toEqual({ algorithm: 'ed25519', currentKeyId: cp.keyId, keys: [{ keyId: cp.keyId, publicKeyPem: cp.publicKeyPem }] });
    expect(body.keys[0].publicKeyPem).toBe(createPublicKey(TEST_AUDIT_KEY).export({ type: 'spki', format: 'pem' }).toString());
  });

  it('is audited like every read, and refused to every role but AUDITOR', async () => {
    await checkpointOf(app, auditor);
    const [event] = (await app.ownerQuery(
      `SELECT action, outcome FROM audit_events WHERE operation_field = 'auditCheckpoint' ORDER BY id DESC LIMIT 1`,
    )) as { action: string; outcome: string }[];
    expect(event).toEqual({ action: 'READ', outcome: 'ALLOWED' });
    for (const user of DEMO_USERS) {
      const token = (await app.login(user.email)).accessToken;
      const r = await app.gql(CHECKPOINT, {}, token);
      if (user.roles.includes(Role.AUDITOR)) expect(r.body.errors).toBeUndefined();
      else expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    expect(codes(await app.gql(CHECKPOINT))).toEqual(['UNAUTHENTICATED']);
  });

  it('verifies as consistent with the trail that issued it, later too', async () => {
    const cp = await checkpointOf(app, auditor);
    await traffic(app);
    await sealEverything(app);
    const r = await verifyWith(app, auditor, cp);
    expect(r.body.data!.verifyAuditTrail).toMatchObject({ valid: true, problem: null, checkpointSealNumber: cp.sealNumber });
    expect(r.body.data!.verifyAuditTrail.lastSealNumber).toBeGreaterThan(cp.sealNumber);
  });

  it('refuses a checkpoint signed by another key, or with any byte of its statement or signature changed', async () => {
    const cp = await checkpointOf(app, auditor);
    const other = generateKeyPairSync('ed25519').privateKey;
    const foreign = sign(null, Buffer.from(cp.statement), other).toString('base64');
    const refusedForeign = await verifyWith(app, auditor, { statement: cp.statement, signature: foreign });
    expect(codes(refusedForeign)).toEqual(['BAD_USER_INPUT']);
    expect(refusedForeign.body.errors![0].message).toMatch(/signature does not verify/);
    // Naming a key id the service never had.
    const renamed = JSON.stringify({ ...JSON.parse(cp.statement), keyId: 'someone-elses-key' });
    const refusedKid = await verifyWith(app, auditor, {
      statement: renamed,
      signature: sign(null, Buffer.from(renamed), other).toString('base64'),
    });
    expect(refusedKid.body.errors![0].message).toMatch(/not a key this verifier trusts/);

    await fc.assert(
      fc.asyncProperty(fc.nat(cp.statement.length - 1), fc.integer({ min: 1, max: 126 }), fc.boolean(), async (at, delta, inSignature) => {
        const text = inSignature ? Buffer.from(cp.signature, 'base64') : Buffer.from(cp.statement);
        const i = at % text.length;
        // Another byte from 1 to 127: a NUL would be refused before verification, by the text guard.
        text[i] = ((text[i] - 1 + delta) % 127) + 1;
        const forged = inSignature
          ? { statement: cp.statement, signature: text.toString('base64') }
          : { statement: text.toString(), signature: cp.signature };
        const r = await verifyWith(app, auditor, forged);
        expect(codes(r)).toEqual(['BAD_USER_INPUT']);
        expect(r.body.errors![0].extensions).toMatchObject({ field: 'checkpoint' });
      }),
      { numRuns: 25 },
    );
  });

  it('accepts a retired key listed in AUDIT_VERIFICATION_KEYS after rotation, and not once it is dropped', async () => {
    const cp = await checkpointOf(app, auditor);
    const next = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const rotated = buildAuditKeyRing({ signingKey: next, verificationKeys: [cp.publicKeyPem], generateKey: false });
    await expect(acceptCheckpoint(app.db, cp, rotated)).resolves.toMatchObject({ sealNumber: cp.sealNumber, sealHash: cp.sealHash });
    const dropped = buildAuditKeyRing({ signingKey: next, verificationKeys: [], generateKey: false });
    await expect(acceptCheckpoint(app.db, cp, dropped)).rejects.toThrow(CheckpointRefused);
  });
});

describe('a checkpoint finds what the chain alone cannot', () => {
  let app: TestApp;
  let auditor: string;
  beforeEach(async () => {
    app = await startTestApp();
    auditor = (await app.login('auditor@oversight.example')).accessToken;
    await traffic(app);
  });
  afterEach(() => app.close());

  it('the newest seal and its events deleted: valid without the checkpoint, refused with it', async () => {
    const cp = await checkpointOf(app, auditor);
    const [{ n }] = (await app.ownerQuery('SELECT max(id)::int AS n FROM audit_seals')) as { n: number }[];
    expect(n).toBe(cp.sealNumber);
    await asOwner(app, [
      ['DELETE FROM audit_events WHERE id = ANY ((SELECT event_ids FROM audit_seals WHERE id = $1)::bigint[])', [n]],
      ['DELETE FROM audit_seals WHERE id = $1', [n]],
    ]);
    // The chain alone is still self-consistent: the cut is invisible without an anchor.
    const blind = await verifyWith(app, auditor);
    expect(blind.body.data!.verifyAuditTrail).toMatchObject({ valid: true, problem: null });
    const anchored = await verifyWith(app, auditor, cp);
    expect(anchored.body.data!.verifyAuditTrail.valid).toBe(false);
    expect(anchored.body.data!.verifyAuditTrail.problem).toMatch(new RegExp(`seal ${n} of the checkpoint is missing.*(cut|truncated)`));
  });

  it('a sealed event rewritten: found by the seals; rewritten with its hash and every later seal redone: found by the checkpoint only', async () => {
    const cp = await checkpointOf(app, auditor);
    const [victim] = (await app.ownerQuery(
      `SELECT e.id::text, s.id::int AS seal FROM audit_events e JOIN audit_seals s ON e.id = ANY (s.event_ids)
        WHERE s.id <= $1 AND e.action = 'LIST' ORDER BY e.id DESC LIMIT 1`,
      [cp.sealNumber],
    )) as { id: string; seal: number }[];
    await asOwner(app, [[`UPDATE audit_events SET outcome = 'DENIED' WHERE id = $1`, [victim.id]]]);
    const edited = await verifyWith(app, auditor, cp);
    expect(edited.body.data!.verifyAuditTrail).toMatchObject({ valid: false, firstBadEventId: victim.id });
    expect(edited.body.data!.verifyAuditTrail.problem).toMatch(/altered/);

    // Now cover the tracks: a fresh row hash, the seals from the victim's on deleted and resealed, numbered as before.
    await asOwner(app, [
      [`UPDATE audit_events e SET row_hash = audit_row_hash(e) WHERE id = $1`, [victim.id]],
      ['DELETE FROM audit_seals WHERE id >= $1', [victim.seal]],
      [`SELECT setval('audit_seals_id_seq', $1, false)`, [victim.seal]],
    ]);
    await sealEverything(app);
    const blind = await verifyWith(app, auditor);
    expect(blind.body.data!.verifyAuditTrail).toMatchObject({ valid: true, problem: null });
    const anchored = await verifyWith(app, auditor, cp);
    expect(anchored.body.data!.verifyAuditTrail.valid).toBe(false);
    expect(anchored.body.data!.verifyAuditTrail.problem).toMatch(/checkpoint/);
  });

  it('a checkpoint of another deployment’s trail is refused, though signed by the same key', async () => {
    const cp = await checkpointOf(app, auditor);
    const other = await startTestApp();
    try {
      await asOwner(other, [['UPDATE audit_trail_identity SET trail_id = gen_random_uuid()']]);
      const otherAuditor = (await other.login('auditor@oversight.example')).accessToken;
      const r = await verifyWith(other, otherAuditor, cp);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0].message).toMatch(/not of this database's trail/);
    } finally {
      await other.close();
    }
  });
});
