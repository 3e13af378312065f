import { once } from 'node:events';
import type { Request, Response } from 'express';
import { AppError, badInput, ErrorCode } from '../errors';
import type { RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { auditReadScope } from '../policy/audit';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { AuditAction, AuditOutcome } from './audit-event';
import { exportWhere, readExportBatches } from './audit.queries';
import { auditActor } from './audit.service';
import type { AuditEvent, AuditFilter } from './audit.types';
import { writeAuditEvents } from './audit.writer';

/** Events per query; each batch resumes exactly after the previous one's last event. */
export const EXPORT_BATCH = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS: (keyof AuditEvent)[] = [
  'id',
  'occurredAt',
  'action',
  'outcome',
  'reason',
  'actorId',
  'actorKind',
  'actorAgencyId',
  'actorRoles',
  'tokenId',
  'operationName',
  'operationField',
  'documentHash',
  'clientAddress',
  'userAgent',
  'requestId',
  'recordKind',
  'recordIds',
  'subjectIds',
  'recordCount',
  'details',
];

/** The export's filter from the query string, checked as strictly as the GraphQL AuditFilter. */
function readFilter(query: Request['query']): AuditFilter {
  const text = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badInput(`${name} must be given once`, name);
    return v;
  };
  const filter: AuditFilter = {};
  for (const name of ['actorId', 'agencyId', 'subjectId', 'recordId'] as const) {
    const v = text(name);
    if (v !== undefined && !UUID.test(v)) throw badInput(`${name} must be an id`, name);
    if (v !== undefined) filter[name] = v;
  }
  const action = text('action');
  if (action !== undefined && !Object.values<string>(AuditAction).includes(action)) throw badInput('Unknown action', 'action');
  if (action !== undefined) filter.action = action as AuditAction;
  const outcome = text('outcome');
  if (outcome !== undefined && !Object.values<string>(AuditOutcome).includes(outcome)) throw badInput('Unknown outcome', 'outcome');
  if (outcome !== undefined) filter.outcome = outcome as AuditOutcome;
  for (const name of ['from', 'to'] as const) {
    const v = text(name);
    if (v === undefined) continue;
    const date = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(date.getTime())) throw badInput(`${name} must be an ISO 8601 date-time`, name);
    filter[name] = date;
  }
  if (filter.from && filter.to && filter.from >= filter.to) throw badInput('from must be before to', 'from');
  return filter;
}

/** A CSV cell: quoted, and defused so a spreadsheet never runs it as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

const errorBody = (code: ErrorCode, message: string, field?: string) => ({ errors: [{ message, extensions: { code, field } }] });

/**
 * GET /audit/export?format=csv|ndjson&from&to&actorId&agencyId&subjectId&recordId&action&outcome:
 * the auditor's filtered events, oldest first, streamed in batches. The export is itself audited
 * (before the first byte: no audit, no export).
 */
export async function exportAuditEvents(ctx: RequestContext, req: Request, res: Response, batchSize = EXPORT_BATCH): Promise<void> {
  let filter: AuditFilter;
  let format: string;
  let scope;
  try {
    scope = requireScope(auditReadScope(authorize(ctx, Permission.READ_AUDIT)));
    format = typeof req.query.format === 'string' ? req.query.format : 'ndjson';
    if (format !== 'csv' && format !== 'ndjson') throw badInput('format must be csv or ndjson', 'format');
    filter = readFilter(req.query);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const status = error.code === ErrorCode.UNAUTHENTICATED ? 401 : error.code === ErrorCode.FORBIDDEN ? 403 : 400;
    res.status(status).json(errorBody(error.code, error.message, error.details?.field as string | undefined));
    return;
  }
  try {
    await writeAuditEvents(ctx.db, { ...auditActor(ctx), operationName: 'auditExport' }, [
      {
        action: AuditAction.EXPORT,
        outcome: AuditOutcome.ALLOWED,
        operationField: 'auditExport',
        records: [],
        details: { arguments: { ...req.query } },
      },
    ]);
  } catch (err) {
    ctx.log.error({ err }, 'export could not be audited: refused');
    res.status(503).json(errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'The export could not be audited, so nothing was returned'));
    return;
  }
  const where = exportWhere(scope, filter);
  res.status(200);
  res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
  res.setHeader('content-disposition', `attachment; filename="audit-events.${format}"`);
  if (format === 'csv') res.write(`${COLUMNS.join(',')}\n`);
  // One snapshot for the whole export: events committed meanwhile (this export's own included) are
  // neither half-included nor able to shift a batch boundary, so each line is one event, once.
  await readExportBatches(ctx.db, where, batchSize, async (batch) => {
    const text = batch
      .map(({ position: _position, ...e }) => (format === 'csv' ? COLUMNS.map((c) => csvCell(e[c])).join(',') : JSON.stringify(e)))
      .map((line) => `${line}\n`)
      .join('');
    if (text && !res.write(text)) await once(res, 'drain');
  });
  res.end();
}
