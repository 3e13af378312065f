import { createHash } from 'node:crypto';
import { isStorableText } from '../db/safe-text';
import type { Queryable } from '../db/sql';
import { AppError, ErrorCode } from '../errors';
import { operationTrusted } from '../policy/trusted-documents';
import { type StoredTrustedDocument, trustedDocumentLookup } from './partner-app.queries';

/** The manifest `npx @apollo/generate-persisted-query-manifest` writes (docs/guides/agency-developer.md). */
export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';
export const MAX_TRUSTED_DOCUMENTS = 500;
const MAX_OPERATION_NAME = 200;
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);
const SHA256_HEX = /^[0-9a-f]{64}$/;

export const NOT_TRUSTED_MESSAGE = 'This operation is not among the trusted documents of this partner app';

export const documentHash = (text: string) => createHash('sha256').update(text).digest('hex');

const invalid = (message: string, field: string, reason: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, { field, reason });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a manifest and returns its operations by hash, as stored. Refused (BAD_USER_INPUT, with
 * the field and a reason): another format or version, no operations or more than
 * MAX_TRUSTED_DOCUMENTS, an operation without a name, type or body, a body longer than a query may
 * be (`maxQueryBytes`), or an `id` that is not the sha256 hex of its body (HASH_MISMATCH).
 */
export function parseManifest(manifest: unknown, maxQueryBytes: number): Record<string, StoredTrustedDocument> {
  if (!isObject(manifest)) throw invalid('manifest must be a JSON object', 'manifest', 'BAD_MANIFEST');
  if (manifest.format !== MANIFEST_FORMAT)
    throw invalid(`manifest.format must be "${MANIFEST_FORMAT}"`, 'manifest.format', 'UNSUPPORTED_FORMAT');
  if (manifest.version !== 1) throw invalid('manifest.version must be 1', 'manifest.version', 'UNSUPPORTED_VERSION');
  const operations = manifest.operations;
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > MAX_TRUSTED_DOCUMENTS)
    throw invalid(`manifest.operations must list 1 to ${MAX_TRUSTED_DOCUMENTS} operations`, 'manifest.operations', 'BAD_MANIFEST');
  const documents: Record<string, StoredTrustedDocument> = {};
  operations.forEach((op: unknown, i) => {
    const field = `manifest.operations[${i}]`;
    if (!isObject(op)) throw invalid(`${field} must be an object`, field, 'BAD_MANIFEST');
    const { id, name, type, body } = op;
    if (typeof body !== 'string' || body.trim() === '' || !isStorableText(body))
      throw invalid(`${field}.body must be the operation's text`, `${field}.body`, 'BAD_MANIFEST');
    if (Buffer.byteLength(body) > maxQueryBytes)
      throw invalid(`${field}.body is longer than a query may be (${maxQueryBytes} bytes)`, `${field}.body`, 'BAD_MANIFEST');
    if (typeof name !== 'string' || name.length > MAX_OPERATION_NAME || !isStorableText(name))
      throw invalid(`${field}.name must be a name of up to ${MAX_OPERATION_NAME} characters`, `${field}.name`, 'BAD_MANIFEST');
    if (typeof type !== 'string' || !OPERATION_TYPES.has(type))
      throw invalid(`${field}.type must be query, mutation or subscription`, `${field}.type`, 'BAD_MANIFEST');
    if (typeof id !== 'string' || !SHA256_HEX.test(id))
      throw invalid(`${field}.id must be the sha256 hex of its body`, `${field}.id`, 'BAD_MANIFEST');
    if (documentHash(body) !== id) throw invalid(`${field}.id is not the sha256 of its body`, `${field}.id`, 'HASH_MISMATCH');
    documents[id] = { name, type, body };
  });
  return documents;
}

/** What a request asks to run: its document's text, or (APQ style) only the sha256 hex of it. */
export interface OperationAsked {
  query?: string;
  sha256Hash?: string;
}

/**
 * The one check of trusted documents, for HTTP and WebSocket alike: whether a partner app's token
 * may run the operation asked for. `trusted` with the text to run (for a request that sent only its
 * hash, the text from the app's manifest); or refused, with the hash that was not on the list.
 * An app revoked or unknown is left to authentication, which refuses it anyway.
 */
export async function checkTrustedOperation(
  db: Queryable,
  serviceAccountId: string,
  asked: OperationAsked,
): Promise<{ trusted: true; query?: string } | { trusted: false; hash: string | null }> {
  const hash = asked.query !== undefined ? documentHash(asked.query) : asked.sha256Hash;
  if (hash === undefined || !SHA256_HEX.test(hash)) {
    // Nothing to look up: trusted only for an app without an allow-list.
    const listing = await trustedDocumentLookup(db, serviceAccountId, '');
    if (!listing || operationTrusted({ listed: listing.listed, onList: false })) return { trusted: true };
    return { trusted: false, hash: hash ?? null };
  }
  const listing = await trustedDocumentLookup(db, serviceAccountId, hash);
  if (!listing) return { trusted: true };
  if (!operationTrusted({ listed: listing.listed, onList: listing.body !== null })) return { trusted: false, hash };
  return asked.query === undefined && listing.body !== null ? { trusted: true, query: listing.body } : { trusted: true };
}
