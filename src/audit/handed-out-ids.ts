import {
  getNamedType,
  GraphQLID,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isObjectType,
} from 'graphql';
import { AUDITED_TYPES, NOT_CASE_RECORDS } from './audited-types';

/**
 * Every id a response hands out is audited, not only the `id` of a returned record: the record
 * behind each edge's `cursor` and each `startCursor`/`endCursor`, and the record another record's id
 * field names (a flag's `subjectId`). This module says, from the schema alone, which record kind a
 * field hands out; `test/e2e/handed-out-ids.test.ts` walks the schema and fails on any ID field or
 * cursor it cannot classify.
 */

/** Id fields naming another case record, by name: the kind of record they name. */
const REFERENCES: [RegExp, string][] = [
  [/^subjectIds?$/, 'subject'],
  [/^(reportIds?|intelligenceReportId)$/, 'intelligence_report'],
  [/^accessRequestId$/, 'access_request'],
  [/^flagId$/, 'flag'],
  [/^crimeId$/, 'crime'],
  [/^involvementId$/, 'involvement'],
  [/^disclosureId$/, 'disclosure'],
  [/^breakGlassGrantId$/, 'break_glass_grant'],
  [/^notificationId$/, 'notification'],
  [/^endpointId$/, 'webhook_endpoint'],
  [/^agreementId$/, 'agreement'],
  // A notice names a record of any kind (its recordKind says which).
  [/^recordId$/, 'record'],
];

/** Id fields naming no case record: people (who did what), agencies, divisions, the trail's own events. */
const NOT_RECORDS = /(^|[a-z])(user|actor|agency|division|event|requestedBy|decidedBy)Ids?$/i;

/**
 * Types describing the trail itself (auditors' answers). Their ids are the trail's metadata: the
 * auditor's query is recorded with its filter, and listing every record id it returns would put
 * each audit review into every child's access history.
 */
export const TRAIL_TYPES = new Set(['AuditEvent', 'AccessAnomaly', 'AuditVerification']);

/** What a field hands out: `self` (a record's own id), a record `kind`, or `none` (no case record). */
export type HandedOut = { self: true } | { kind: string } | { none: true };

/** How an ID field is covered; undefined when nothing classifies it (the schema test then fails). */
export function classifyIdField(type: GraphQLObjectType, field: string): HandedOut | undefined {
  if (field === 'id' && (AUDITED_TYPES[type.name] || NOT_CASE_RECORDS.has(type.name))) return { self: true };
  if (TRAIL_TYPES.has(type.name)) return { none: true };
  const reference = REFERENCES.find(([name]) => name.test(field));
  if (reference) return { kind: reference[1] };
  if (NOT_RECORDS.test(field)) return { none: true };
  return undefined;
}

/** The audited kind of an edge type's `node`, or undefined if its nodes are not case records. */
const nodeKind = (edge: GraphQLNamedType | undefined | null): string | undefined => {
  if (!isObjectType(edge)) return undefined;
  const node = edge.getFields().node;
  return node ? AUDITED_TYPES[getNamedType(node.type).name] : undefined;
};

/** The edge type of a connection type (its `edges` list). */
const edgeOf = (connection: GraphQLNamedType | undefined | null): GraphQLNamedType | undefined => {
  if (!isObjectType(connection)) return undefined;
  const edges = connection.getFields().edges;
  return edges ? getNamedType(edges.type) : undefined;
};

export const PAGE_CURSORS = new Set(['startCursor', 'endCursor']);

/**
 * For a cursor field, how it is covered: an edge's `cursor` hands out its node; a PageInfo cursor
 * hands out its connection's first or last node. Undefined for fields that are not cursors, or
 * cursors of a type the plugin cannot follow (the schema test fails on those).
 */
export function cursorNodeKind(schema: GraphQLSchema, parent: GraphQLObjectType, connectionTypeName?: string): HandedOut | undefined {
  if (parent.getFields().node) {
    const kind = nodeKind(parent);
    return kind ? { kind } : { none: true };
  }
  if (parent.name === 'PageInfo' && connectionTypeName) {
    const kind = nodeKind(edgeOf(schema.getType(connectionTypeName)));
    return kind ? { kind } : { none: true };
  }
  return undefined;
}

/** Whether a field hands out a position in a list. */
export const isCursorField = (field: string) => field === 'cursor' || PAGE_CURSORS.has(field);

const classified = new WeakMap<GraphQLObjectType, Map<string, string | null>>();

/**
 * What the field being resolved hands out besides its parent's own id: a record kind, or null.
 * Cached per type and field (PageInfo by connection), so the per-field cost is one map lookup.
 */
export function handedOutKind(info: GraphQLResolveInfo): string | null {
  const parent = info.parentType;
  const key = parent.name === 'PageInfo' ? `${info.fieldName}@${String(info.path.prev?.typename)}` : info.fieldName;
  let fields = classified.get(parent);
  if (!fields) classified.set(parent, (fields = new Map<string, string | null>()));
  let found = fields.get(key);
  if (found === undefined) {
    let how: HandedOut | undefined;
    if (isCursorField(info.fieldName)) how = cursorNodeKind(info.schema, parent, info.path.prev?.typename);
    else if (getNamedType(info.returnType) === GraphQLID) how = classifyIdField(parent, info.fieldName);
    found = how && 'kind' in how ? how.kind : null;
    fields.set(key, found);
  }
  return found;
}
