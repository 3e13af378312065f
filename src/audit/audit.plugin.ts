import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import {
  type DocumentNode,
  type GraphQLError,
  getNamedType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type SelectionSetNode,
} from 'graphql';
import { storableText } from '../db/safe-text';
import { AppError, ErrorCode } from '../errors';
import type { RequestContext } from '../context/request-context';
import { fragmentsOf } from '../graphql/limits';
import { cursorNodeOf } from '../db/paging';
import { isAuditedRefusal, rateLimitDetails } from '../http/rate-limit';
import { AuditAction, type AuditedRecord, type AuditEventInput, AuditOutcome } from './audit-event';
import { AUDITED_TYPES } from './audited-types';
import { handedOutKind, isCursorField } from './handed-out-ids';
import type { RequestAudit, RootFieldAccess } from '../context/request-audit';
import { writeAuditEvents } from './audit.writer';
import { PG_IN_FAILED_TRANSACTION, pgErrorCode } from '../db/errors';
import type { Queryable } from '../db/sql';
import { auditActor } from './audit.service';

/** Root fields whose events say more than READ / LIST / WRITE. */
const FIELD_ACTIONS: Record<string, AuditAction> = {
  login: AuditAction.LOGIN,
  serviceToken: AuditAction.LOGIN,
  exchangeToken: AuditAction.LOGIN,
  completePasswordReset: AuditAction.LOGIN,
  completeSecondFactor: AuditAction.LOGIN,
  refreshToken: AuditAction.REFRESH,
  logout: AuditAction.LOGOUT,
  discloseIntelligence: AuditAction.DISCLOSE,
  declineDisclosure: AuditAction.DECLINE,
  revokeDisclosure: AuditAction.REVOKE,
  requestAccess: AuditAction.ACCESS_REQUEST,
  breakGlass: AuditAction.BREAK_GLASS,
  searchIntelligence: AuditAction.SEARCH,
  subjectMatches: AuditAction.SEARCH,
  verifyAuditTrail: AuditAction.VERIFY,
  intelligenceStats: AuditAction.AGGREGATE,
  crimeStats: AuditAction.AGGREGATE,
  flagStats: AuditAction.AGGREGATE,
  accessRequestTimeliness: AuditAction.AGGREGATE,
};

/** Arguments that are secrets: their presence is recorded, never their value. */
const SECRET_ARGS = new Set([
  'password',
  'clientSecret',
  'refreshToken',
  'idToken',
  'resetToken',
  'newPassword',
  'code',
  'challenge',
  'recoveryCode',
]);
const READ_ACTIONS = new Set([AuditAction.READ, AuditAction.LIST, AuditAction.SEARCH]);
const DENIALS = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.RATE_LIMITED,
  ErrorCode.OPERATION_NOT_TRUSTED,
]);
const MAX_ARG_TEXT = 500;

const rootKey = (info: GraphQLResolveInfo): string => {
  let path = info.path;
  while (path.prev) path = path.prev;
  return String(path.key);
};

const isConnection = (type: GraphQLOutputType): boolean => {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner) || getNamedType(type).name.endsWith('Connection');
};

/** A kept argument value: every string made storable and cut by code point, however deep. */
function keptValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value, MAX_ARG_TEXT);
  if (Array.isArray(value)) return value.map(keptValue);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k, MAX_ARG_TEXT), keptValue(v)]));
  }
  return value;
}

/**
 * What an event may keep of the arguments: query filters and search text as given; for mutations
 * only scalars (ids, reasons, an email), with inputs reduced to the names of their fields, so
 * narratives and names never enter the trail. Secrets are withheld everywhere. Text is cut to
 * MAX_ARG_TEXT code points and made storable (src/db/safe-text.ts): an argument never stops its
 * own event from being written.
 */
function auditableArgs(args: Record<string, unknown>, mutation: boolean): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (SECRET_ARGS.has(name)) kept[name] = '[withheld]';
    else if (mutation && value && typeof value === 'object') kept[name] = { fields: Object.keys(value).sort() };
    else kept[name] = keptValue(value);
  }
  return kept;
}

function errorCode(error: unknown): string {
  const original = (error as { originalError?: unknown }).originalError ?? error;
  if (original instanceof AppError) return original.code;
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** Arguments that name a record, by operation (`id`) or anywhere (`subjectId`, ...), with its kind. */
const ID_OF_FIELD: Record<string, string> = { intelligenceReport: 'intelligence_report', subject: 'subject', crime: 'crime' };
const ID_ARGUMENTS: Record<string, string> = {
  subjectId: 'subject',
  reportId: 'intelligence_report',
  flagId: 'flag',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The records an operation asked for by id, returned or not: so a refused or failed attempt on a
 * child's record still shows in that child's access history.
 */
function requestedRecords(access: RootFieldAccess): AuditedRecord[] {
  const named: [string, unknown][] = Object.entries(ID_ARGUMENTS).map(([arg, kind]) => [kind, access.args[arg]]);
  if (ID_OF_FIELD[access.field]) named.push([ID_OF_FIELD[access.field], access.args.id]);
  return named
    .filter((n): n is [string, string] => typeof n[1] === 'string' && UUID.test(n[1]))
    .filter(([kind, id]) => !access.records.has(`${kind}:${id.toLowerCase()}`))
    .map(([kind, id]) => ({ kind, id: id.toLowerCase(), requested: true }));
}

/** Adds `field` to the record `source` (a returned object with an `id`) in the event; any other source is ignored. */
function noteRecord(access: RootFieldAccess, kind: string, source: unknown, field: string): void {
  const id = (source as { id?: unknown } | null | undefined)?.id;
  if (typeof id !== 'string') return;
  const k = `${kind}:${id}`;
  let record = access.records.get(k);
  if (!record) {
    const redacted = (source as { redactedFields?: unknown }).redactedFields;
    record = { kind, id, fields: [], redacted: Array.isArray(redacted) ? (redacted as string[]) : [] };
    access.records.set(k, record);
  }
  delete record.referenced;
  if (!record.fields.includes(field)) record.fields.push(field);
}

/** Ids of `kind` named by a returned field (a flag's `subjectId`): listed, unless already there. */
function noteReferences(access: RootFieldAccess, kind: string, value: unknown): void {
  for (const id of Array.isArray(value) ? value : [value]) {
    if (typeof id !== 'string' || !UUID.test(id)) continue;
    const k = `${kind}:${id.toLowerCase()}`;
    if (!access.records.has(k)) access.records.set(k, { kind, id: id.toLowerCase(), fields: [], referenced: true });
  }
}

/** The root field names of an operation, fragments at the root expanded. */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = fragmentsOf(document);
  const names = new Set<string>();
  const walk = (set: SelectionSetNode, seen: readonly string[]): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, seen);
      else if (!seen.includes(s.name.value)) {
        const fragment = fragments.get(s.name.value);
        if (fragment) walk(fragment.selectionSet, [...seen, s.name.value]);
      }
    }
  };
  walk(operation.selectionSet, []);
  return [...names].filter((n) => !n.startsWith('__'));
}

/**
 * An operation refused before any field ran (unparsable, invalid, too complex, unstorable text,
 * rate-limited) still leaves one event: the refusal's code as the reason, the root fields it asked
 * for if the document got that far. Rate-limited refusals are recorded only at their checkpoints
 * (see rate-limit.ts), so a flood cannot flood the trail.
 */
function noteRefusal(
  audit: RequestAudit,
  errors: readonly GraphQLError[],
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined | null,
): void {
  if (audit.roots.size > 0) return;
  const error = errors.find((e) => !e.path);
  if (!error) return;
  if (!isAuditedRefusal(error.originalError ?? error)) return;
  const rootFields = document && operation ? rootFieldNames(document, operation) : [];
  audit.roots.set('', {
    field: rootFields.length === 1 ? rootFields[0] : '',
    mutation: operation?.operation === OperationTypeNode.MUTATION,
    connection: false,
    args: {},
    records: new Map(),
    error,
    refusedRootFields: rootFields,
  });
}

function eventOf(access: RootFieldAccess): AuditEventInput {
  const action =
    FIELD_ACTIONS[access.field] ?? (access.mutation ? AuditAction.WRITE : access.connection ? AuditAction.LIST : AuditAction.READ);
  const code = access.error === undefined ? null : errorCode(access.error);
  const outcome = code === null ? AuditOutcome.ALLOWED : DENIALS.has(code) ? AuditOutcome.DENIED : AuditOutcome.FAILED;
  return {
    action,
    outcome,
    reason: code,
    operationField: access.field || null,
    records: [...access.records.values(), ...requestedRecords(access)],
    details: { arguments: auditableArgs(access.args, access.mutation), ...refusalDetails(access) },
  };
}

/** What an event adds for a refusal: before execution, the fields asked for; a rate limit's counts. */
function refusalDetails(access: RootFieldAccess): Record<string, unknown> {
  const error = access.error as { originalError?: unknown } | undefined;
  const limit = error ? rateLimitDetails(error.originalError ?? error) : undefined;
  return {
    ...(access.refusedRootFields ? { refusedBeforeExecution: true, rootFields: access.refusedRootFields } : {}),
    ...(limit ? { rateLimit: limit } : {}),
  };
}

const NOT_AUDITED_MESSAGE = 'The request could not be audited, so nothing was changed or returned';
const OUTCOME_UNKNOWN_MESSAGE =
  'The connection to the database was lost while the change was being committed: it may or may not have been made. ' +
  'Retry with the same idempotency key, or read the record back.';

function replaceResponse(response: GraphQLResponse, message: string, code: ErrorCode, status?: number): void {
  if (status) response.http.status = status;
  response.body = { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } };
}

/**
 * After a rollback, the attempt is still answerable: its events are written again outside the
 * transaction as FAILED, naming the records asked for but returning none. Best effort: whatever
 * stopped the first write may stop this one.
 */
async function recordUndone(ctx: RequestContext, events: AuditEventInput[]): Promise<void> {
  const undone = events.map((e) => ({
    ...e,
    outcome: AuditOutcome.FAILED,
    reason: ErrorCode.INTERNAL_SERVER_ERROR,
    records: e.records.map((r) => ({ kind: r.kind, id: r.id, requested: true })),
  }));
  try {
    if (undone.length) await writeAuditEvents(ctx.dataSource, auditActor(ctx), undone);
  } catch (err) {
    ctx.log.error({ err }, 'the failed attempt could not be audited either');
  }
}

/**
 * Records every root field of every operation as an audit event (what was asked, which records came
 * back with which fields, what was withheld, the outcome), and writes them before the response
 * leaves. If they cannot be written the response is replaced by an error: no audit, no data. A
 * mutation's events are written in its transaction (see `openRequestTransaction`), with its changes
 * and their CHANGE events, and committed here: no change without its audit, and a response never
 * says "not done" for something committed (a lost COMMIT answers OUTCOME_UNKNOWN).
 */
export const auditPlugin: ApolloServerPlugin<RequestContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation({ contextValue, request, operationName }) {
        contextValue.audit.operationName = operationName;
        contextValue.audit.documentHash = request.query ? createHash('sha256').update(request.query).digest('hex') : null;
        return Promise.resolve();
      },
      didEncounterErrors({ contextValue, errors, document, operation }) {
        noteRefusal(contextValue.audit, errors, document, operation);
        return Promise.resolve();
      },
      executionDidStart: () =>
        Promise.resolve({
          willResolveField({ source, args, contextValue, info }) {
            const roots = contextValue.audit.roots;
            if (!info.path.prev) {
              if (info.fieldName.startsWith('__')) return;
              const access: RootFieldAccess = {
                field: info.fieldName,
                mutation: info.operation.operation === OperationTypeNode.MUTATION,
                connection: isConnection(info.returnType),
                args,
                records: new Map(),
              };
              const key = rootKey(info);
              roots.set(key, access);
              return (error) => {
                if (!error) return;
                // A sign-in refused by a lock-out between its checkpoints: counted there, not written.
                if (!isAuditedRefusal((error as { originalError?: unknown }).originalError ?? error)) roots.delete(key);
                else access.error = error;
              };
            }
            const kind = AUDITED_TYPES[info.parentType.name];
            const handedOut = handedOutKind(info);
            if (!kind && !handedOut) return;
            const access = roots.get(rootKey(info));
            if (!access) return;
            if (kind) noteRecord(access, kind, source, info.fieldName);
            if (!handedOut) return;
            if (isCursorField(info.fieldName)) {
              const node = info.fieldName === 'cursor' ? (source as { node?: unknown }).node : cursorNodeOf(source, info.fieldName);
              noteRecord(access, handedOut, node, info.fieldName);
              return;
            }
            return (error, result) => {
              if (!error) noteReferences(access, handedOut, result);
            };
          },
        }),
      async willSendResponse({ contextValue: ctx, response }) {
        let transaction = await ctx.transaction?.catch(() => undefined);
        const changes = [...ctx.audit.roots.values()].some((root) => root.mutation);
        const events = [...ctx.audit.roots.values()]
          .map(eventOf)
          .filter((e) => ctx.config.auditReads || !(READ_ACTIONS.has(e.action) && e.outcome === AuditOutcome.ALLOWED));
        // A principal from the cache is confirmed in the same statement (or alone, if nothing is audited).
        const cached = ctx.principalCached;
        const write = async (db: Queryable) => {
          if (!events.length && !cached) return;
          const { principalUnchanged } = await writeAuditEvents(db, auditActor(ctx), events, cached?.unchanged);
          if (!principalUnchanged) {
            cached?.forget();
            replaceResponse(response, 'Invalid or expired token', ErrorCode.UNAUTHENTICATED);
          }
        };
        try {
          try {
            await write(ctx.db);
          } catch (err) {
            // A read whose statement failed (its field answered an error) left the transaction
            // aborted: nothing to keep in it, so its events are written on their own.
            if (!transaction || changes || pgErrorCode(err) !== PG_IN_FAILED_TRANSACTION) throw err;
            await transaction.rollback();
            transaction = undefined;
            await write(ctx.dataSource);
          }
        } catch (err) {
          await transaction?.rollback();
          ctx.log.error({ err }, 'audit events could not be written: response withheld, changes rolled back');
          replaceResponse(response, NOT_AUDITED_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR, 503);
          await recordUndone(ctx, events);
          return;
        }
        if (!transaction) return;
        const outcome = await transaction.commit();
        if (outcome === 'committed') return;
        if (outcome === 'unknown' && changes) {
          ctx.log.error('connection lost while committing: outcome unknown');
          replaceResponse(response, OUTCOME_UNKNOWN_MESSAGE, ErrorCode.OUTCOME_UNKNOWN, 503);
          return;
        }
        ctx.log.error({ outcome }, 'the request transaction could not be committed: response withheld');
        if (changes)
          replaceResponse(response, 'The change could not be committed, so nothing was changed', ErrorCode.INTERNAL_SERVER_ERROR, 503);
        else replaceResponse(response, NOT_AUDITED_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR, 503);
        await recordUndone(ctx, events);
      },
    }),
};
