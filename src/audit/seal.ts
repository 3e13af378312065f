import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Queryable } from '../db/sql';
import {
  type EventHashRow,
  eventHashes,
  eventsOfTransaction,
  insertSeal,
  lastSealEnd,
  type SealRow,
  sealsAfter,
  settledEvents,
  settledHorizon,
  withSealLock,
} from './audit.queries';

/** Events per seal at most, so verifying one seal holds a bounded number of hashes in memory. */
export const MAX_EVENTS_PER_SEAL = 20_000;

/** The seal's own hash: its range, its events in order and the previous seal's hash. */
export function sealHash(prev: Buffer | null, fromTx: string, toTx: string, ids: readonly string[], hashes: readonly Buffer[]): Buffer {
  const h = createHash('sha256');
  h.update(`${prev?.toString('hex') ?? ''}|${fromTx}|${toTx}|${ids.length}|`);
  ids.forEach((id, i) => h.update(`${id}:${hashes[i].toString('hex')};`));
  return h.digest();
}

/**
 * Seals every settled range of audit events: those written by transactions older than the oldest
 * still running (the snapshot's xmin), which can gain no more events. A seal covers a range of
 * transaction ids, lists its events' ids and hashes, and chains to the previous seal. Nothing on the
 * read or write path waits for this: it runs beside them. Returns how many seals it wrote.
 */
export async function sealAuditTrail(db: DataSource | EntityManager): Promise<number> {
  let written = 0;
  for (;;) {
    // null: nothing settled to seal; otherwise whether more remains after this seal.
    const more = await withSealLock(db, async (tx): Promise<boolean | null> => {
      const last = await lastSealEnd(tx);
      const horizon = await settledHorizon(tx);
      const from = last?.to_tx ?? '0';
      if (BigInt(horizon) <= BigInt(from)) return null;
      const rows = await settledEvents(tx, from, horizon, MAX_EVENTS_PER_SEAL + 1);
      if (rows.length === 0) return null;
      let to = horizon;
      let events = rows;
      if (rows.length > MAX_EVENTS_PER_SEAL) {
        // Cut between transactions, never inside one; one huge transaction gets a seal of its own.
        to = rows[MAX_EVENTS_PER_SEAL].tx_id;
        events = rows.filter((r) => BigInt(r.tx_id) < BigInt(to));
        if (events.length === 0) {
          to = (BigInt(rows[0].tx_id) + 1n).toString();
          events = await eventsOfTransaction(tx, rows[0].tx_id);
        }
      }
      const ids = events.map((e) => e.id);
      const hashes = events.map((e) => e.row_hash);
      const times = events.map((e) => e.occurred_at.getTime());
      const prev = last?.seal_hash ?? null;
      await insertSeal(tx, {
        from,
        to,
        firstOccurredAt: new Date(Math.min(...times)),
        lastOccurredAt: new Date(Math.max(...times)),
        ids,
        hashes,
        prev,
        hash: sealHash(prev, from, to, ids, hashes),
      });
      return to !== horizon;
    });
    if (more === null) break;
    written++;
    if (!more) break;
  }
  return written;
}

export interface AuditVerification {
  valid: boolean;
  checkedSeals: number;
  checkedEvents: number;
  /** Recent events not yet sealed (their own hashes were still checked). */
  unsealedEvents: number;
  /** The first event found edited, deleted, inserted or moved; null when valid. */
  firstBadEventId: string | null;
  problem: string | null;
  /** Hash of the newest seal: record it elsewhere to anchor the chain. */
  lastSealHash: string | null;
  /** Number of the newest seal. */
  lastSealNumber: number | null;
  /** The seal of the checkpoint given, found with its hash and chained to the newest; null without one. */
  checkpointSealNumber: number | null;
}

/** A seal an earlier checkpoint vouched for: the trail must still hold it, with this hash, chained to the newest. */
export interface SealAnchor {
  sealNumber: number;
  /** Hex; the genesis checkpoint (seal 0) vouches for no seal. */
  sealHash: string;
}

/** Compares the events now in a seal's range with what the seal recorded; returns the first problem. */
function compareWithSeal(seal: SealRow, events: EventHashRow[]): { eventId: string; problem: string } | null {
  const n = Math.max(seal.event_ids.length, events.length);
  for (let i = 0; i < n; i++) {
    const sealed = seal.event_ids[i];
    const found = events[i];
    if (!found) return { eventId: sealed, problem: `event ${sealed} was deleted (seal ${seal.id})` };
    if (!found.stored.equals(found.recomputed)) return { eventId: found.id, problem: `event ${found.id} was altered` };
    if (sealed === undefined || found.id !== sealed) {
      const sealedIds = new Set(seal.event_ids);
      return sealedIds.has(found.id)
        ? { eventId: sealed, problem: `event ${sealed} was deleted or moved (seal ${seal.id})` }
        : { eventId: found.id, problem: `event ${found.id} is not in seal ${seal.id}: inserted or moved afterwards` };
    }
    if (!found.stored.equals(seal.event_hashes[i])) return { eventId: found.id, problem: `event ${found.id} was altered` };
  }
  return null;
}

/**
 * Checks the chain of seals, every sealed event against its seal (optionally only seals overlapping
 * [from, to)), and the hash of every unsealed event. Names the first bad event. With an `anchor` (a
 * checkpoint's seal, its signature already checked), the seal must still be there with the same hash:
 * a tail removed or rewritten after it would otherwise leave a shorter, self-consistent chain.
 * Only reads: run it in a READ ONLY transaction for one consistent snapshot.
 */
export async function verifyAuditTrail(
  db: Queryable,
  range: { from?: Date; to?: Date } = {},
  anchor?: SealAnchor,
): Promise<AuditVerification> {
  const result: AuditVerification = {
    valid: true,
    checkedSeals: 0,
    checkedEvents: 0,
    unsealedEvents: 0,
    firstBadEventId: null,
    problem: null,
    lastSealHash: null,
    lastSealNumber: null,
    checkpointSealNumber: null,
  };
  const fail = (eventId: string | null, problem: string) => ({ ...result, valid: false, firstBadEventId: eventId, problem });
  let anchorFound = !anchor || anchor.sealNumber === 0;
  let prev: SealRow | null = null;
  let afterId = '0';
  for (;;) {
    const seals = await sealsAfter(db, afterId);
    if (seals.length === 0) break;
    for (const seal of seals) {
      afterId = seal.id;
      result.checkedSeals++;
      if (anchor && !anchorFound && Number(seal.id) >= anchor.sealNumber) {
        if (Number(seal.id) > anchor.sealNumber) {
          return fail(null, `seal ${anchor.sealNumber} of the checkpoint is missing (the next is seal ${seal.id}): the trail was cut`);
        }
        if (seal.seal_hash.toString('hex') !== anchor.sealHash.toLowerCase()) {
          return fail(seal.event_ids[0] ?? null, `seal ${seal.id} no longer has the checkpoint's hash: the trail was rewritten up to it`);
        }
        anchorFound = true;
      }
      if (prev && (!seal.prev_hash?.equals(prev.seal_hash) || seal.from_tx !== prev.to_tx)) {
        return fail(seal.event_ids[0] ?? null, `seal ${seal.id} does not follow seal ${prev.id}: the chain was broken`);
      }
      if (!sealHash(seal.prev_hash, seal.from_tx, seal.to_tx, seal.event_ids, seal.event_hashes).equals(seal.seal_hash)) {
        return fail(seal.event_ids[0] ?? null, `seal ${seal.id} was altered`);
      }
      prev = seal;
      const outside =
        (range.from && seal.last_occurred_at && seal.last_occurred_at < range.from) ||
        (range.to && seal.first_occurred_at && seal.first_occurred_at >= range.to);
      if (outside) continue;
      const events = await eventHashes(db, seal.from_tx, seal.to_tx);
      const bad = compareWithSeal(seal, events);
      if (bad) return fail(bad.eventId, bad.problem);
      result.checkedEvents += events.length;
    }
  }
  const last: SealRow | null = prev;
  result.lastSealHash = last ? last.seal_hash.toString('hex') : null;
  result.lastSealNumber = last ? Number(last.id) : null;
  if (!anchorFound) {
    const newest = last ? `the newest is seal ${last.id}` : 'there are no seals';
    return fail(null, `seal ${anchor!.sealNumber} of the checkpoint is missing (${newest}): the trail was truncated`);
  }
  if (anchor) result.checkpointSealNumber = anchor.sealNumber;
  const unsealed = await eventHashes(db, last?.to_tx ?? '0', null);
  for (const event of unsealed) {
    if (!event.stored.equals(event.recomputed)) return fail(event.id, `event ${event.id} was altered`);
  }
  result.unsealedEvents = unsealed.length;
  result.checkedEvents += unsealed.length;
  return result;
}
