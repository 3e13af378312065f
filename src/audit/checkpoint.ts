import { sign, verify } from 'node:crypto';
import type { Queryable } from '../db/sql';
import { newestSeal, trailIdentity } from './audit.queries';
import { type AuditKeyRing, CHECKPOINT_ALGORITHM } from './signing-keys';
import type { SealAnchor } from './seal';

/** What a checkpoint asserts; `statement` is this object as JSON text, and the signature is over its bytes. */
export interface CheckpointStatement {
  type: typeof STATEMENT_TYPE;
  version: 1;
  /** The trail's own identity (audit_trail_identity): a checkpoint of one deployment fails on another. */
  trailId: string;
  database: string;
  /** 0 and 64 zeros: the genesis checkpoint of a trail with nothing sealed yet. */
  sealNumber: number;
  sealHash: string;
  sealedAt: string | null;
  /** The last event of the seal (in seal order) and the latest time of its events. */
  lastEventId: string | null;
  lastEventAt: string | null;
  issuedAt: string;
  keyId: string;
  algorithm: typeof CHECKPOINT_ALGORITHM;
}

export interface SignedCheckpoint {
  statement: string;
  /** base64 */
  signature: string;
}

export interface IssuedCheckpoint extends SignedCheckpoint {
  sealNumber: number;
  sealHash: string;
  issuedAt: Date;
  publicKeyPem: string;
  algorithm: string;
  keyId: string;
}

const STATEMENT_TYPE = 'safeshare.audit-checkpoint';
export const GENESIS_SEAL_HASH = '0'.repeat(64);

/** Why a checkpoint is refused before the trail is even compared with it. */
export class CheckpointRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointRefused';
  }
}

/**
 * Signs a statement of the newest seal: its number and hash, the trail's identity, its last event,
 * and when it was issued. Seal settled events first (the caller does); with no seal at all, the
 * genesis checkpoint (seal 0) is issued, which later verifications accept on this trail only.
 */
export async function issueCheckpoint(db: Queryable, keys: AuditKeyRing, now = new Date()): Promise<IssuedCheckpoint> {
  const signing = keys.signing;
  if (!signing) throw new Error('no audit signing key is configured (AUDIT_SIGNING_KEY)');
  const identity = await trailIdentity(db);
  if (!identity) throw new Error('the audit trail has no identity yet: apply the pending migrations');
  const seal = await newestSeal(db);
  const body: CheckpointStatement = {
    type: STATEMENT_TYPE,
    version: 1,
    trailId: identity.trailId,
    database: identity.database,
    sealNumber: seal ? Number(seal.id) : 0,
    sealHash: seal?.hash ?? GENESIS_SEAL_HASH,
    sealedAt: seal?.sealed_at.toISOString() ?? null,
    lastEventId: seal?.last_event_id ?? null,
    lastEventAt: seal?.last_occurred_at?.toISOString() ?? null,
    issuedAt: now.toISOString(),
    keyId: signing.keyId,
    algorithm: CHECKPOINT_ALGORITHM,
  };
  const statement = JSON.stringify(body);
  const signature = sign(null, Buffer.from(statement), signing.privateKey).toString('base64');
  return {
    statement,
    signature,
    sealNumber: body.sealNumber,
    sealHash: body.sealHash,
    issuedAt: now,
    publicKeyPem: signing.publicKeyPem,
    algorithm: CHECKPOINT_ALGORITHM,
    keyId: signing.keyId,
  };
}

const isStatement = (v: unknown): v is CheckpointStatement => {
  const s = v as Partial<CheckpointStatement> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.type === STATEMENT_TYPE &&
    s.version === 1 &&
    typeof s.trailId === 'string' &&
    Number.isSafeInteger(s.sealNumber) &&
    (s.sealNumber ?? -1) >= 0 &&
    typeof s.sealHash === 'string' &&
    /^[0-9a-f]{64}$/.test(s.sealHash) &&
    typeof s.keyId === 'string' &&
    s.algorithm === CHECKPOINT_ALGORITHM
  );
};

/**
 * Checks a checkpoint's signature with a key the verifier already trusts (the one it names by key id),
 * never with a key offered alongside it, and that it is a checkpoint of this trail. Returns the seal it
 * vouches for; throws CheckpointRefused naming why not.
 */
export async function acceptCheckpoint(
  db: Queryable,
  checkpoint: SignedCheckpoint,
  keys: AuditKeyRing,
): Promise<SealAnchor & { statement: CheckpointStatement }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(checkpoint.statement);
  } catch {
    throw new CheckpointRefused('the checkpoint statement is not JSON');
  }
  if (!isStatement(parsed)) throw new CheckpointRefused('the checkpoint statement is not a Safeshare audit checkpoint');
  const key = keys.verification.get(parsed.keyId);
  if (!key) throw new CheckpointRefused(`the checkpoint is signed with key ${parsed.keyId}, which is not a key this verifier trusts`);
  const signature = Buffer.from(checkpoint.signature, 'base64');
  if (signature.length !== 64 || !verify(null, Buffer.from(checkpoint.statement), key.publicKeyPem, signature)) {
    throw new CheckpointRefused(`the checkpoint's signature does not verify with key ${parsed.keyId}`);
  }
  const identity = await trailIdentity(db);
  if (!identity) throw new CheckpointRefused('this database has no trail identity to compare the checkpoint with (migrations pending)');
  if (identity.trailId !== parsed.trailId) {
    throw new CheckpointRefused(`the checkpoint is of trail ${parsed.trailId}, not of this database's trail ${identity.trailId}`);
  }
  return { sealNumber: parsed.sealNumber, sealHash: parsed.sealHash, statement: parsed };
}
