import { createHash } from 'node:crypto';
import { badInput } from '../errors';
import { and, type Queryable, raw, run, sql, type Sql } from './sql';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Which page of a list: its size and the cursor it follows (validated by the API's PageArgs). */
export interface PageRequest {
  first?: number;
  after?: string;
}

/** Where a page sits in its list; the API's PageInfo type has this shape. */
export interface PagePosition {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** The records a PageInfo's cursors stand for, kept out of sight of the schema (for the audit). */
const CURSOR_NODES = Symbol('cursor nodes');
type CursorNodes = { startCursor?: unknown; endCursor?: unknown };

/** The record `startCursor` or `endCursor` of this PageInfo stands for, if made here. */
export function cursorNodeOf(pageInfo: unknown, field: string): unknown {
  const nodes = (pageInfo as { [CURSOR_NODES]?: CursorNodes } | null)?.[CURSOR_NODES];
  return field === 'startCursor' || field === 'endCursor' ? nodes?.[field] : undefined;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PagePosition;
  /**
   * Counted only if the client selects it (a lazy promise: the query runs when GraphQL awaits the
   * field): counting every matching row is most of a list's cost on a large table.
   */
  totalCount: PromiseLike<number>;
}

/** A promise whose work starts only when someone awaits it. */
function lazy<T>(work: () => Promise<T>): PromiseLike<T> {
  let started: Promise<T> | undefined;
  return {
    then: (onFulfilled, onRejected) => (started ??= work()).then(onFulfilled, onRejected),
  };
}

/**
 * A cursor names a position in one list: the list's name and ordering are hashed into it, with the
 * position, so a cursor from another list (or another ordering) or an altered one is refused rather
 * than read as a position. The check is not a secret: a client able to compute it can only name a
 * position in the same list, which paging reaches anyway, and the list's scope applies regardless.
 */
const CHECK_BYTES = 12;
const checkOf = (list: string, values: unknown[]) =>
  createHash('sha256')
    .update(JSON.stringify([list, values]))
    .digest('base64url')
    .slice(0, (CHECK_BYTES * 4) / 3);

const encodeCursor = (list: string, values: unknown[]) =>
  Buffer.from(JSON.stringify([checkOf(list, values), ...values])).toString('base64url');

/** Decodes a cursor made by this module for `list`; anything else is BAD_USER_INPUT, never a SQL error. */
function decodeCursor(cursor: string, list: string, shape: ((v: unknown) => boolean)[]): unknown[] {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded.length === shape.length + 1) {
      const [check, ...values] = decoded as unknown[];
      if (shape.every((ok, i) => ok(values[i])) && check === checkOf(list, values)) return values;
    }
  } catch {
    // fall through
  }
  throw badInput('after is not a cursor from this list', 'after');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown) => typeof v === 'string' && UUID.test(v);
const isBigintId = (v: unknown) => typeof v === 'string' && /^\d{1,19}$/.test(v);
// Only the ISO forms this module writes (a date, or a UTC time to the microsecond; milliseconds in
// cursors from before microsecond cursors), so PostgreSQL's cast cannot fail.
const isSortValue = (v: unknown) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\.(\d{3}|\d{6})Z)?$/.test(v) && !Number.isNaN(Date.parse(v));
const isOffset = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1_000_000;

interface Query {
  /** The list's name (e.g. 'subjects'): a cursor is valid only for the list and ordering it came from. */
  list: string;
  /** The selected columns, e.g. sql`r.*`. Each row must have `id`. */
  select: Sql;
  /** FROM and joins. */
  from: Sql;
  /** Scope and filters: applied to the page and to totalCount alike. */
  where: Sql;
}

async function countOf(db: Queryable, q: Query): Promise<number> {
  const [{ n }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM ${q.from} WHERE ${q.where}`);
  return n;
}

function pageOf<R>(
  rows: R[],
  first: number,
  cursorOf: (row: R, index: number) => string,
  totalCount: PromiseLike<number>,
  hasPrevious: boolean,
): Page<R> {
  const pageRows = rows.slice(0, first);
  const edges = pageRows.map((node, i) => ({ node, cursor: cursorOf(node, i) }));
  const pageInfo: PagePosition = {
    hasNextPage: rows.length > first,
    hasPreviousPage: hasPrevious,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  };
  const nodes: CursorNodes = { startCursor: edges[0]?.node, endCursor: edges.at(-1)?.node };
  Object.defineProperty(pageInfo, CURSOR_NODES, { value: nodes, enumerable: false });
  return { edges, totalCount, pageInfo };
}

/** A list's identity for its cursors: its name and its ordering's SQL text (not its bound values). */
const listIdentity = (name: string, ordering: Sql[], kind: string) => [name, kind, ...ordering.map((o) => o.parts.join('?'))].join('|');

/** The column PostgreSQL adds to each keyset row: the sort value as exact text, for the cursor. */
const SORT_KEY = 'keyset_sort_key';

/**
 * The sort value as text PostgreSQL reads back exactly. Timestamps keep their microseconds (a JS
 * Date would round them to milliseconds, and rows sharing a millisecond would fall between pages).
 */
function sortKeyText(column: Sql, type: 'timestamptz' | 'date'): Sql {
  return type === 'date' ? sql`${column}::text` : sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * Newest-first keyset pagination on (sort column, id): stable under inserts and cheap at any depth.
 * `sortColumn` and `idColumn` are trusted expressions chosen by our code.
 */
export async function keysetPage<R extends { id: string }>(
  db: Queryable,
  q: Query & { sortColumn: Sql; idColumn: Sql; sortType: 'timestamptz' | 'date'; idType?: 'uuid' | 'bigint' },
  args: PageRequest,
): Promise<Page<R>> {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  const conditions = [q.where];
  const list = listIdentity(q.list, [q.sortColumn, q.idColumn], `${q.sortType}:${q.idType ?? 'uuid'}`);
  if (args.after != null) {
    const bigintIds = q.idType === 'bigint';
    const [sortValue, id] = decodeCursor(args.after, list, [isSortValue, bigintIds ? isBigintId : isUuid]);
    const cast = q.sortType === 'date' ? sql`${sortValue}::date` : sql`${sortValue}::timestamptz`;
    const idValue = bigintIds ? sql`${id}::bigint` : sql`${id}::uuid`;
    conditions.push(sql`(${q.sortColumn}, ${q.idColumn}) < (${cast}, ${idValue})`);
  }
  const rows = await run<R & { [SORT_KEY]: string }>(
    db,
    sql`SELECT ${q.select}, ${sortKeyText(q.sortColumn, q.sortType)} AS ${raw(SORT_KEY)} FROM ${q.from} WHERE ${and(conditions)}
        ORDER BY ${q.sortColumn} DESC, ${q.idColumn} DESC LIMIT ${first + 1}`,
  );
  const page = pageOf(
    rows,
    first,
    (row) => encodeCursor(list, [row[SORT_KEY], row.id]),
    lazy(() => countOf(db, q)),
    args.after != null,
  );
  return {
    ...page,
    edges: page.edges.map(({ cursor, node: { [SORT_KEY]: _key, ...node } }) => ({ cursor, node: node as unknown as R })),
  };
}

/** The column PostgreSQL adds to each ranked row: how many rows match, counted in the same pass. */
const TOTAL_KEY = 'page_total_count';

/**
 * Offset pagination for ranked results (search), whose order has no natural key. Ranking sorts every
 * matching row anyway, so the count rides on that pass (a window over the matches) instead of a
 * second scan; only a page past the end, which has no row to carry it, counts on its own.
 */
export async function offsetPage<R>(db: Queryable, q: Query & { orderBy: Sql }, args: PageRequest): Promise<Page<R>> {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  const list = listIdentity(q.list, [q.orderBy], 'offset');
  const offset = args.after != null ? (decodeCursor(args.after, list, [isOffset])[0] as number) + 1 : 0;
  const rows = await run<R & { [TOTAL_KEY]: number }>(
    db,
    sql`SELECT ${q.select}, count(*) OVER ()::int AS ${raw(TOTAL_KEY)} FROM ${q.from} WHERE ${q.where}
        ORDER BY ${q.orderBy} LIMIT ${first + 1} OFFSET ${offset}`,
  );
  const counted = rows[0]?.[TOTAL_KEY] ?? (offset === 0 ? 0 : undefined);
  const nodes = rows.map(({ [TOTAL_KEY]: _total, ...node }) => node as unknown as R);
  return pageOf(
    nodes,
    first,
    (_row, i) => encodeCursor(list, [offset + i]),
    counted === undefined ? lazy(() => countOf(db, q)) : Promise.resolve(counted),
    offset > 0,
  );
}
