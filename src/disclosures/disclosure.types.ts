import { IsBoolean, IsDate, IsEnum, IsOptional, IsString, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { AccessRequestStatus, DisclosureStatus, LegalGateway, Urgency } from './disclosure.enums';

registerEnumType(LegalGateway, { name: 'LegalGateway', description: 'The legal gateway under which intelligence is shared' });
registerEnumType(DisclosureStatus, { name: 'DisclosureStatus', description: 'ACTIVE until it expires (EXPIRED) or is revoked (REVOKED)' });
registerEnumType(AccessRequestStatus, {
  name: 'AccessRequestStatus',
  description: 'PENDING until a police supervisor discloses (DISCLOSED) or declines (DECLINED)',
});
registerEnumType(Urgency, {
  name: 'Urgency',
  description: 'How soon an access request needs its answer; each urgency has its configured hours (by default RED 4, AMBER 24, GREEN 72)',
});

const notBlank = (field: string) => Matches(/\S/, { message: `${field} must not be blank` });

@ObjectType({
  description:
    'A police decision to share a sanitised summary of intelligence with a named agency. Its recipients read it while ACTIVE; never the raw report.',
})
export class Disclosure {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The disclosed report (police readers)' })
  reportId!: string | null;

  /** Resolved by a field resolver (batched). */
  recipientAgencyId!: string;

  @Field(() => LegalGateway)
  gateway!: LegalGateway;

  @Field()
  purpose!: string;

  @Field({ description: 'The sanitised summary written for the recipient' })
  summary!: string;

  @Field(() => String, { nullable: true, description: 'Conditions on the recipient’s use (always present for handling code C)' })
  conditions!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'An OFFICIAL_SENSITIVE report was disclosed with acknowledgement (police readers)' })
  sensitiveAcknowledged!: boolean | null;

  @Field()
  expiresAt!: Date;

  @Field()
  disclosedAt!: Date;

  @Field(() => ID, { nullable: true, description: 'Police readers' })
  disclosedByUserId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The access request it answers' })
  accessRequestId!: string | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  revocationReason!: string | null;

  @Field(() => DisclosureStatus)
  status!: DisclosureStatus;

  @Field(() => ID, {
    nullable: true,
    description: 'The information-sharing agreement it was made under (null: noAgreementReason says why none applied)',
  })
  agreementId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why no agreement applied, when none is cited' })
  noAgreementReason!: string | null;

  @Field(() => [String], { description: 'Names of the fields withheld from the caller' })
  redactedFields!: string[];
}

export const DisclosureConnection = connectionOf('Disclosure', Disclosure);

@ObjectType({ description: 'A recorded decision not to share, with the reason' })
export class DisclosureDecision {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true })
  reportId!: string | null;

  /** Resolved by a field resolver (batched). */
  recipientAgencyId!: string;

  @Field(() => ID, { nullable: true })
  accessRequestId!: string | null;

  @Field()
  reason!: string;

  @Field(() => ID)
  decidedByUserId!: string;

  @Field()
  decidedAt!: Date;
}

@InputType()
export class DiscloseInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'reportId must be an intelligence report id' })
  reportId!: string;

  @Field(() => ID, { nullable: true, description: 'Required unless accessRequestId names the request this answers' })
  @IsOptional()
  @IsUUID('all', { message: 'recipientAgencyId must be an agency id' })
  recipientAgencyId?: string;

  @Field(() => LegalGateway)
  gateway!: LegalGateway;

  @Field()
  @IsString()
  @Length(1, 2000)
  @notBlank('purpose')
  purpose!: string;

  @Field({ description: 'Sanitised for the recipient: no informant details, nothing beyond what they need' })
  @IsString()
  @Length(1, 10_000)
  @notBlank('summary')
  summary!: string;

  @Field({ nullable: true, description: 'Required when the report’s handling code is C' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @notBlank('conditions')
  conditions?: string;

  @Field({ description: 'After now, at most a year ahead; access ends then' })
  @IsDate()
  expiresAt!: Date;

  @Field({ nullable: true, description: 'Must be true to disclose an OFFICIAL_SENSITIVE report' })
  @IsOptional()
  @IsBoolean()
  acknowledgeSensitive?: boolean;

  @Field(() => ID, { nullable: true, description: 'The pending access request this disclosure answers (it becomes DISCLOSED)' })
  @IsOptional()
  @IsUUID('all', { message: 'accessRequestId must be an access request id' })
  accessRequestId?: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'The ACTIVE information-sharing agreement in force that covers it (both agencies parties, the gateway its own); or give noAgreementReason',
  })
  @IsOptional()
  @IsUUID('all', { message: 'agreementId must be an information-sharing agreement id' })
  agreementId?: string;

  @Field({
    nullable: true,
    description: 'Why no agreement applies (e.g. a one-off emergency share): required when no agreementId is given',
  })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @notBlank('noAgreementReason')
  noAgreementReason?: string;
}

@InputType()
export class DeclineInput {
  @Field(() => ID, { nullable: true, description: 'The report not shared (give this, accessRequestId, or both)' })
  @IsOptional()
  @IsUUID('all', { message: 'reportId must be an intelligence report id' })
  reportId?: string;

  @Field(() => ID, { nullable: true, description: 'Required unless accessRequestId is given' })
  @IsOptional()
  @IsUUID('all', { message: 'recipientAgencyId must be an agency id' })
  recipientAgencyId?: string;

  @Field(() => ID, { nullable: true, description: 'The pending access request this declines (it becomes DECLINED)' })
  @IsOptional()
  @IsUUID('all', { message: 'accessRequestId must be an access request id' })
  accessRequestId?: string;

  @Field({ description: 'Why not: the requester sees it' })
  @IsString()
  @Length(1, 2000)
  @notBlank('reason')
  reason!: string;
}

@ArgsType()
export class DiscloseArgs {
  @Field(() => DiscloseInput)
  @ValidateNested()
  input!: DiscloseInput;
}

@ArgsType()
export class DeclineArgs {
  @Field(() => DeclineInput)
  @ValidateNested()
  input!: DeclineInput;
}

@ArgsType()
export class RevokeDisclosureArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a disclosure id' })
  id!: string;

  @Field()
  @IsString()
  @Length(1, 2000)
  @notBlank('reason')
  reason!: string;
}

@InputType()
export class DisclosureFilter {
  @Field(() => DisclosureStatus, { nullable: true })
  @IsOptional()
  status?: DisclosureStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'recipientAgencyId must be an agency id' })
  recipientAgencyId?: string;

  @Field(() => ID, { nullable: true, description: 'Police readers only (recipients do not see report ids)' })
  @IsOptional()
  @IsUUID('all', { message: 'reportId must be an intelligence report id' })
  reportId?: string;

  @Field(() => ID, { nullable: true, description: 'Disclosures of reports about this subject' })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;
}

@ArgsType()
export class DisclosureListArgs extends PageArgs {
  @Field(() => DisclosureFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: DisclosureFilter;
}

@ObjectType({ description: 'A practitioner’s request for more about a subject; a police supervisor discloses or declines' })
export class AccessRequest {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  subjectId!: string;

  /** Resolved by a field resolver (batched). */
  requesterAgencyId!: string;

  @Field(() => ID)
  requestedByUserId!: string;

  @Field()
  reason!: string;

  @Field(() => AccessRequestStatus)
  status!: AccessRequestStatus;

  @Field(() => Urgency)
  urgency!: Urgency;

  @Field()
  requestedAt!: Date;

  @Field({ description: 'When the answer is due: requestedAt plus the hours of its urgency, fixed when it was made' })
  dueAt!: Date;

  @Field({ description: 'Still PENDING and past dueAt' })
  overdue!: boolean;

  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => ID, { nullable: true })
  decidedByUserId!: string | null;
}

export const AccessRequestConnection = connectionOf('AccessRequest', AccessRequest);

@ArgsType()
export class RequestAccessArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId!: string;

  @Field({ description: 'Why your agency needs more: the deciding supervisor reads it' })
  @IsString()
  @Length(1, 2000)
  @notBlank('reason')
  reason!: string;

  @Field(() => Urgency, { defaultValue: Urgency.AMBER, description: 'Sets when the answer is due (dueAt)' })
  @IsEnum(Urgency)
  urgency!: Urgency;
}

@InputType()
export class AccessRequestFilter {
  @Field(() => AccessRequestStatus, { nullable: true })
  @IsOptional()
  status?: AccessRequestStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field(() => Boolean, { nullable: true, description: 'true: only those PENDING past dueAt; false: all others' })
  @IsOptional()
  @IsBoolean()
  overdue?: boolean;
}

@ArgsType()
export class AccessRequestListArgs extends PageArgs {
  @Field(() => AccessRequestFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AccessRequestFilter;
}
