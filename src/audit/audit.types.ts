import { IsEnum, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { JsonScalar } from '../graphql/scalars';
import { AuditAction, AuditOutcome } from './audit-event';
import { AnomalyKind } from './audit.enums';

registerEnumType(AuditAction, { name: 'AuditAction' });
registerEnumType(AuditOutcome, { name: 'AuditOutcome' });

@ObjectType({ description: 'One access or change: metadata and ids only, never case content' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field()
  occurredAt!: Date;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => AuditOutcome)
  outcome!: AuditOutcome;

  @Field(() => String, { nullable: true, description: 'The error code of a refusal or failure' })
  reason!: string | null;

  @Field(() => ID, { nullable: true, description: 'Null for a failed sign-in' })
  actorId!: string | null;

  @Field(() => String, { nullable: true, description: 'USER or SERVICE' })
  actorKind!: string | null;

  @Field(() => ID, { nullable: true })
  actorAgencyId!: string | null;

  @Field(() => [String], { description: 'Roles (users) or scopes (partner apps) at the time' })
  actorRoles!: string[];

  @Field(() => String, { nullable: true, description: 'The access token id (jti)' })
  tokenId!: string | null;

  @Field(() => String, { nullable: true, description: 'The GraphQL operation name the client gave' })
  operationName!: string | null;

  @Field(() => String, { nullable: true, description: 'The query or mutation field (or, for CHANGE, the change)' })
  operationField!: string | null;

  @Field(() => String, { nullable: true, description: 'sha256 of the GraphQL document' })
  documentHash!: string | null;

  @Field(() => String, { nullable: true })
  clientAddress!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true })
  recordKind!: string | null;

  @Field(() => [ID])
  recordIds!: string[];

  @Field(() => [ID], { description: 'The subjects the records concern' })
  subjectIds!: string[];

  @Field(() => Int, { description: 'How many records were returned or changed' })
  recordCount!: number;

  @Field(() => JsonScalar, {
    description: 'Arguments (secrets withheld, mutation inputs reduced to field names), records with fields returned and redacted',
  })
  details!: unknown;
}

export const AuditEventConnection = connectionOf('AuditEvent', AuditEvent);

@InputType()
export class AuditFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'actorId must be a user or service account id' })
  actorId?: string;

  @Field(() => ID, { nullable: true, description: 'Events by this agency’s staff or about its records' })
  @IsOptional()
  @IsUUID('all', { message: 'agencyId must be an agency id' })
  agencyId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'recordId must be a record id' })
  recordId?: string;

  @Field(() => AuditAction, { nullable: true })
  @IsOptional()
  @IsEnum(AuditAction)
  action?: AuditAction;

  @Field(() => AuditOutcome, { nullable: true })
  @IsOptional()
  @IsEnum(AuditOutcome)
  outcome?: AuditOutcome;

  @Field({ nullable: true, description: 'Inclusive' })
  @IsOptional()
  from?: Date;

  @Field({ nullable: true, description: 'Exclusive' })
  @IsOptional()
  to?: Date;
}

@ArgsType()
export class AuditEventsArgs extends PageArgs {
  @Field(() => AuditFilter, { nullable: true })
  @IsOptional()
  filter?: AuditFilter;
}

@ArgsType()
export class SubjectAccessHistoryArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'The subject; or give `identifier` instead (exactly one of the two)' })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'An NHS number (spaces allowed), school UPN, police reference or social care id, matched exactly; NOT_FOUND when no subject within your audit scope has it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100, { message: 'identifier must be at most 100 characters' })
  identifier?: string;
}

@ObjectType({ description: 'Accesses on one UTC day by one agency’s staff with one outcome' })
export class AuditDayCount {
  @Field({ description: 'YYYY-MM-DD (UTC)' })
  day!: string;

  @Field(() => Agency, { nullable: true, description: 'The actors’ agency (null: no signed-in actor)' })
  agency!: Agency | null;

  @Field(() => AuditOutcome)
  outcome!: AuditOutcome;

  @Field(() => Int)
  count!: number;
}

@ArgsType()
export class AuditAccessesPerDayArgs {
  @Field({ description: 'Inclusive' })
  from!: Date;

  @Field({ description: 'Exclusive; at most 366 days after from' })
  to!: Date;

  @Field(() => ID, { nullable: true, description: 'Only accesses by this agency’s staff' })
  @IsOptional()
  @IsUUID('all', { message: 'agencyId must be an agency id' })
  agencyId?: string;
}

@ArgsType()
export class ReviewArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(300, { message: 'id is not a reviewable id' })
  id!: string;

  @Field({ description: 'JUSTIFIED, NOT_JUSTIFIED or REFERRED (any case)' })
  @IsString()
  @MaxLength(40, { message: 'outcome must be one of JUSTIFIED, NOT_JUSTIFIED, REFERRED' })
  outcome!: string;

  @Field({ description: '1 to 2000 characters: what was checked, and why this outcome' })
  @IsString()
  @MaxLength(8000, { message: 'note must be 1 to 2000 characters' })
  note!: string;
}

@InputType({ description: 'A checkpoint kept from auditCheckpoint: its statement and signature, exactly as issued' })
export class AuditCheckpointInput {
  @Field()
  @IsString()
  @MaxLength(4000, { message: 'statement is not a checkpoint statement' })
  statement!: string;

  @Field()
  @IsString()
  @MaxLength(200, { message: 'signature is not a checkpoint signature' })
  signature!: string;
}

@ArgsType()
export class AuditRangeArgs {
  @Field({ nullable: true })
  @IsOptional()
  from?: Date;

  @Field({ nullable: true })
  @IsOptional()
  to?: Date;

  @Field(() => AuditCheckpointInput, {
    nullable: true,
    description: 'An earlier checkpoint: its seal must still be in the trail with the same hash, chained to the newest',
  })
  @IsOptional()
  @ValidateNested()
  checkpoint?: AuditCheckpointInput;
}

@ObjectType({ description: 'A signed statement of the newest seal, to keep outside Safeshare and present to verifyAuditTrail later' })
export class AuditCheckpoint {
  @Field(() => Int, { description: 'The seal vouched for (0: nothing sealed yet, the genesis checkpoint)' })
  sealNumber!: number;

  @Field({ description: 'Its hash, hex (64 zeros for the genesis checkpoint)' })
  sealHash!: string;

  @Field()
  issuedAt!: Date;

  @Field({ description: 'The exact bytes signed: JSON naming the trail, seal, its last event, time of signing and key id' })
  statement!: string;

  @Field({ description: 'Signature over the statement, base64' })
  signature!: string;

  @Field({ description: 'The signing key’s public half (also at GET /audit/public-key); verify with a copy kept beforehand' })
  publicKeyPem!: string;

  @Field({ description: '"ed25519"' })
  algorithm!: string;

  @Field({ description: 'The key id the statement names (changes when the key is rotated)' })
  keyId!: string;
}

@ObjectType({ description: 'The result of checking the trail’s hashes and seals' })
export class AuditVerification {
  @Field()
  valid!: boolean;

  @Field(() => Int)
  checkedSeals!: number;

  @Field(() => Int)
  checkedEvents!: number;

  @Field(() => Int, { description: 'Recent events not yet sealed (their own hashes were checked)' })
  unsealedEvents!: number;

  @Field(() => ID, { nullable: true, description: 'The first event found edited, deleted, inserted or moved' })
  firstBadEventId!: string | null;

  @Field(() => String, { nullable: true })
  problem!: string | null;

  @Field(() => String, { nullable: true, description: 'Hash of the newest seal: keep it elsewhere to anchor the chain' })
  lastSealHash!: string | null;

  @Field(() => Int, { nullable: true, description: 'Number of the newest seal' })
  lastSealNumber!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'The checkpoint’s seal, found unchanged and chained to the newest (null without a checkpoint)',
  })
  checkpointSealNumber!: number | null;
}

registerEnumType(AnomalyKind, { name: 'AnomalyKind' });

@ObjectType({ description: 'Access that deserves a second look' })
export class AccessAnomaly {
  @Field(() => ID, { description: 'Stable: the same anomaly has the same id in every list that finds it (docs/audit.md, "Reviews")' })
  id!: string;

  @Field(() => Date, { nullable: true, description: 'Null until reviewed' })
  reviewedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'JUSTIFIED, NOT_JUSTIFIED or REFERRED' })
  reviewOutcome!: string | null;

  @Field(() => String, { nullable: true })
  reviewNote!: string | null;

  /** The reviewer, for `reviewedBy` (the directory decides whether it is shown). */
  reviewedByUserId!: string | null;

  @Field(() => AnomalyKind)
  kind!: AnomalyKind;

  @Field(() => ID)
  actorId!: string;

  @Field(() => ID, { nullable: true })
  actorAgencyId!: string | null;

  @Field(() => Int, {
    description:
      'Records read in the period (for BREAK_GLASS: grants; AFTER_HOURS_BULK: records in the event; GRANT_CHAIN: grants in the chain)',
  })
  count!: number;

  @Field(() => Int, { nullable: true, description: 'The norm it is compared with (records per period)' })
  baseline!: number | null;

  @Field(() => ID, {
    nullable: true,
    description: 'An event to start from (the break-glass, the bulk read, or the request that closed a grant chain)',
  })
  eventId!: string | null;

  @Field(() => Date, { nullable: true })
  occurredAt!: Date | null;
}

@ArgsType()
export class AccessAnomaliesArgs {
  @Field({ description: 'Start of the period reviewed (inclusive)' })
  from!: Date;

  @Field({ description: 'End of the period reviewed (exclusive)' })
  to!: Date;

  @Field(() => Int, { nullable: true, description: 'How many times the norm counts as far above it (default 3)' })
  @IsOptional()
  @IsInt()
  @Min(2, { message: 'factor must be between 2 and 100' })
  @Max(100, { message: 'factor must be between 2 and 100' })
  factor?: number;
}

/** An anomaly as found in the trail, before its id and review are attached. */
export type ComputedAnomaly = Omit<AccessAnomaly, 'id' | 'reviewedAt' | 'reviewOutcome' | 'reviewNote' | 'reviewedByUserId'>;
