import type { Session } from '../session';
import { Status, useTask, when } from '../ui';

interface Verification {
  valid: boolean;
  checkedEvents: number;
  checkedSeals: number;
  unsealedEvents: number;
  lastSealNumber: number | null;
  lastSealHash: string | null;
  firstBadEventId: string | null;
  problem: string | null;
}

interface Checkpoint {
  sealNumber: number;
  sealHash: string;
  issuedAt: string;
  keyId: string;
  algorithm: string;
  statement: string;
  signature: string;
}

/** Checks the trail's hash chain and seals, and shows the latest signed checkpoint to keep outside. */
export function VerifyView({ session }: { session: Session }) {
  const [verified, verify] = useTask(async () => {
    const r = await session.query<{ verifyAuditTrail: Verification }>(
      'query Verify { verifyAuditTrail { valid checkedEvents checkedSeals unsealedEvents lastSealNumber lastSealHash firstBadEventId problem } }',
    );
    return r.verifyAuditTrail;
  });
  const [checkpoint, fetchCheckpoint] = useTask(async () => {
    const r = await session.query<{ auditCheckpoint: Checkpoint }>(
      'query Checkpoint { auditCheckpoint { sealNumber sealHash issuedAt keyId algorithm statement signature } }',
    );
    return r.auditCheckpoint;
  });

  return (
    <section aria-labelledby="verify-title">
      <h1 id="verify-title">Trail verification</h1>
      <p>Seals the settled events, then checks every event's hash and every seal's chain.</p>
      <button type="button" onClick={() => void verify()} disabled={verified.state === 'loading'}>
        Verify the trail
      </button>
      <Status load={verified}>
        {verified.state === 'done' && (
          <div class={verified.value.valid ? 'result ok' : 'result bad'} role="status">
            <p>
              <strong>{verified.value.valid ? 'The trail is intact.' : 'The trail has been altered.'}</strong>
            </p>
            <dl>
              <dt>Events checked</dt>
              <dd>{verified.value.checkedEvents.toLocaleString('en-GB')}</dd>
              <dt>Seals checked</dt>
              <dd>{verified.value.checkedSeals.toLocaleString('en-GB')}</dd>
              <dt>Events not yet sealed</dt>
              <dd>{verified.value.unsealedEvents.toLocaleString('en-GB')}</dd>
              <dt>Newest seal</dt>
              <dd>
                {verified.value.lastSealNumber ?? '—'} <code>{verified.value.lastSealHash ?? ''}</code>
              </dd>
              {verified.value.problem && (
                <>
                  <dt>Problem</dt>
                  <dd>
                    {verified.value.problem} {verified.value.firstBadEventId && <code>{verified.value.firstBadEventId}</code>}
                  </dd>
                </>
              )}
            </dl>
          </div>
        )}
      </Status>
      <h2>Latest signed checkpoint</h2>
      <p>Keep a copy outside Safeshare; present it to a later verification to prove nothing before it changed.</p>
      <button type="button" onClick={() => void fetchCheckpoint()} disabled={checkpoint.state === 'loading'}>
        Get the latest checkpoint
      </button>
      <Status load={checkpoint}>
        {checkpoint.state === 'done' && (
          <dl class="result">
            <dt>Seal</dt>
            <dd>
              {checkpoint.value.sealNumber} <code>{checkpoint.value.sealHash}</code>
            </dd>
            <dt>Issued</dt>
            <dd>{when(checkpoint.value.issuedAt)}</dd>
            <dt>Key</dt>
            <dd>
              {checkpoint.value.algorithm} <code>{checkpoint.value.keyId}</code>
            </dd>
            <dt>Statement</dt>
            <dd>
              <code class="wrap">{checkpoint.value.statement}</code>
            </dd>
            <dt>Signature</dt>
            <dd>
              <code class="wrap">{checkpoint.value.signature}</code>
            </dd>
          </dl>
        )}
      </Status>
    </section>
  );
}
