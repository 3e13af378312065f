import { DateTimeResolver } from 'graphql-scalars';
import { AccessAnomalyResolver, AuditEventResolver, AuditResolver } from '../audit/audit.resolver';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { validateOrReject, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, buildSchema, getMetadataStorage, type PubSub, type ValidatorFn } from 'type-graphql';
import { AgencyResolver, DivisionResolver } from '../agencies/agency.resolver';
import { AuthResolver } from '../auth/auth.resolver';
import { SecondFactorResolver } from '../auth/second-factor.resolver';
import { SessionResolver } from '../auth/session.resolver';
import { authChecker } from './auth-checker';
import { normaliseIdArguments } from './ids';
import { withMutationSavepoints } from './mutation-savepoint';
import { UserResolver } from '../users/user.resolver';
import { AccountResolver } from '../users/account.resolver';
import { StaffDirectoryResolver } from '../users/staff-directory.resolver';
import { CrimeResolver } from '../crimes/crime.resolver';
import { FlagResolver } from '../flags/flag.resolver';
import { IntelligenceResolver } from '../intelligence/intelligence.resolver';
import { SubjectResolver } from '../subjects/subject.resolver';
import { StatsResolver } from '../stats/stats.resolver';
import { InvolvementResolver } from '../involvements/involvement.resolver';
import { AccessRequestResolver } from '../disclosures/access-request.resolver';
import { TimelinessResolver } from '../deadlines/timeliness.resolver';
import { DisclosureDecisionResolver, DisclosureResolver } from '../disclosures/disclosure.resolver';
import { BreakGlassResolver } from '../break-glass/break-glass.resolver';
import { GrantResolver } from '../grants/grant.resolver';
import { NotificationResolver } from '../notifications/notification.resolver';
import { WebhookResolver } from '../webhooks/webhook.resolver';
import { SubscriptionResolver } from '../subscriptions/subscription.resolver';
import { AgreementResolver } from '../agreements/agreement.resolver';
import { RetentionResolver } from '../retention/retention.resolver';
import { PartnerAppResolver } from '../partner-apps/partner-app.resolver';

export const RESOLVERS = [
  AuthResolver,
  SessionResolver,
  SecondFactorResolver,
  AgencyResolver,
  DivisionResolver,
  UserResolver,
  AccountResolver,
  PartnerAppResolver,
  StaffDirectoryResolver,
  IntelligenceResolver,
  SubjectResolver,
  FlagResolver,
  CrimeResolver,
  AuditResolver,
  AuditEventResolver,
  AccessAnomalyResolver,
  StatsResolver,
  InvolvementResolver,
  DisclosureResolver,
  DisclosureDecisionResolver,
  AccessRequestResolver,
  TimelinessResolver,
  BreakGlassResolver,
  GrantResolver,
  NotificationResolver,
  WebhookResolver,
  SubscriptionResolver,
  AgreementResolver,
  RetentionResolver,
] as const;

/**
 * Deny by default at the schema level: every query and mutation must declare its permission, or
 * the service refuses to start (and the permission test fails).
 */
export function operationsWithoutPermission(resolvers: readonly Function[] = RESOLVERS): string[] {
  const storage = getMetadataStorage();
  const declared = new Set(storage.authorizedFields.map((f) => `${f.target.name}.${f.fieldName}`));
  return [...storage.queries, ...storage.mutations, ...storage.subscriptions]
    .filter((op) => resolvers.includes(op.target))
    .filter((op) => !declared.has(`${op.target.name}.${op.methodName}`))
    .map((op) => op.schemaName);
}

const VALIDATOR_OPTIONS: ValidatorOptions = { forbidUnknownValues: true, skipMissingProperties: true };

/**
 * What type-graphql does with `validate: { forbidUnknownValues: true }`, without its cost: it
 * `require`s class-validator afresh for every argument of every field (module resolution on each
 * call). Objects and arrays of objects are validated; scalars pass, as before.
 */
const validateArgument: ValidatorFn = async (value) => {
  if (value === null || typeof value !== 'object') return;
  try {
    const items: unknown[] = Array.isArray(value) ? value : [value];
    await Promise.all(
      items.filter((item) => item !== null && typeof item === 'object').map((item) => validateOrReject(item, VALIDATOR_OPTIONS)),
    );
  } catch (errors) {
    throw new ArgumentValidationError(errors as ConstructorParameters<typeof ArgumentValidationError>[0]);
  }
};

const NO_TOPICS: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('subscriptions take their notices from src/subscriptions, not from topics');
  },
};

export async function buildAppSchema(): Promise<GraphQLSchema> {
  const missing = operationsWithoutPermission();
  if (missing.length) throw new Error(`Operations without a declared permission: ${missing.join(', ')}`);
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    authChecker,
    validateFn: validateArgument,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // type-graphql insists on one; our only subscription brings its own source (src/subscriptions/).
    pubSub: NO_TOPICS,
  });
  return withMutationSavepoints(normaliseIdArguments(schema));
}

/** Each operation's declared permission, by schema name (for the permission snapshot). */
export function operationPermissions(): Record<string, string[]> {
  const storage = getMetadataStorage();
  const result: Record<string, string[]> = {};
  for (const [kind, ops] of [
    ['Query', storage.queries],
    ['Mutation', storage.mutations],
    ['Subscription', storage.subscriptions],
  ] as const) {
    for (const op of ops.filter((o) => RESOLVERS.some((r) => r === o.target))) {
      const declared = storage.authorizedFields.find((f) => f.target === op.target && f.fieldName === op.methodName);
      result[`${kind}.${op.schemaName}`] = (declared?.roles ?? []) as string[];
    }
  }
  return result;
}

/** The committed `schema.graphql`: sorted, so it changes only when the schema does. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `# Generated from the code by \`npm run schema\`; do not edit. A test fails when it drifts.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
