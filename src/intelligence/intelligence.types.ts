import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsDate,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { SubjectRole } from '../subjects/subject.enums';
import { NARRATIVE_MAX_LENGTH } from './intelligence-report.entity';
import {
  Classification,
  HandlingCode,
  IntelligenceAssessment,
  MAX_BATCH_SUBMISSIONS,
  ReportStatus,
  RiskIndicator,
  SourceEvaluation,
  SourceType,
} from './intelligence.enums';

registerEnumType(SourceType, { name: 'SourceType' });
registerEnumType(Classification, { name: 'Classification' });
registerEnumType(ReportStatus, {
  name: 'ReportStatus',
  description: 'SUBMITTED → UNDER_ASSESSMENT → ASSESSED → ACTIONED | NO_FURTHER_ACTION',
});
registerEnumType(SourceEvaluation, {
  name: 'SourceEvaluation',
  description: '3x5x2 source evaluation: 1 reliable, 2 untested, 3 not reliable',
});
registerEnumType(IntelligenceAssessment, { name: 'IntelligenceAssessment', description: '3x5x2 intelligence assessment, A to E' });
registerEnumType(HandlingCode, { name: 'HandlingCode', description: 'P: lawful sharing permitted; C: permitted with conditions' });
registerEnumType(RiskIndicator, { name: 'RiskIndicator', description: 'CSE risk indicators' });

const notBlank = (field: string) => Matches(/\S/, { message: `${field} must not be blank` });

@ObjectType({ description: 'Informant details of a public tip-off: police SUPERVISOR only' })
export class Informant {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  contact!: string | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;
}

@ObjectType({ description: 'One piece of intelligence. Fields the caller may not see are null and named in redactedFields.' })
export class IntelligenceReport {
  @Field(() => ID)
  id!: string;

  @Field()
  reference!: string;

  @Field(() => SourceType)
  sourceType!: SourceType;

  @Field(() => ReportStatus)
  status!: ReportStatus;

  /** Resolved by a field resolver (batched). */
  divisionId!: string | null;

  @Field()
  receivedAt!: Date;

  @Field(() => Date, { nullable: true })
  occurredAt!: Date | null;

  @Field(() => String, { nullable: true })
  location!: string | null;

  @Field(() => String, { nullable: true })
  narrative!: string | null;

  @Field(() => [RiskIndicator])
  riskIndicators!: RiskIndicator[];

  @Field(() => Classification)
  classification!: Classification;

  /** Resolved by a field resolver (batched). */
  submittedByAgencyId!: string;

  @Field(() => SourceEvaluation, { nullable: true })
  sourceEvaluation!: SourceEvaluation | null;

  @Field(() => IntelligenceAssessment, { nullable: true })
  intelligenceAssessment!: IntelligenceAssessment | null;

  @Field(() => HandlingCode, { nullable: true })
  handlingCode!: HandlingCode | null;

  @Field(() => String, { nullable: true })
  handlingConditions!: string | null;

  @Field(() => Date, { nullable: true })
  assessedAt!: Date | null;

  @Field(() => [String], { description: 'Names of the fields withheld from the caller' })
  redactedFields!: string[];
}

export const IntelligenceReportConnection = connectionOf('IntelligenceReport', IntelligenceReport);

@ObjectType({ description: 'A report a subject is linked to, with their role in it' })
export class SubjectReportLink {
  @Field(() => SubjectRole)
  role!: SubjectRole;

  @Field(() => IntelligenceReport)
  report!: IntelligenceReport;
}

@InputType()
export class InformantInput {
  @Field()
  @IsString()
  @Length(1, 200)
  @notBlank('informant.name')
  name!: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  contact?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;
}

@InputType()
export class SubmitIntelligenceInput {
  @Field({ nullable: true, description: 'A retry with the same key and payload returns the same report; a different payload is CONFLICT' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;

  @Field(() => SourceType, { description: 'Must fit the submitter: only police submit POLICE, etc.' })
  @IsIn(Object.values(SourceType))
  sourceType!: SourceType;

  @Field()
  @IsString()
  @Length(1, NARRATIVE_MAX_LENGTH, { message: `narrative must be 1 to ${NARRATIVE_MAX_LENGTH} characters` })
  @notBlank('narrative')
  narrative!: string;

  @Field({ nullable: true, description: 'When the agency received it; defaults to now' })
  @IsOptional()
  @IsDate()
  receivedAt?: Date;

  @Field({ nullable: true })
  @IsOptional()
  @IsDate()
  occurredAt?: Date;

  @Field(() => ID, { nullable: true, description: 'Omit for force-wide or unknown' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  divisionId?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  location?: string;

  @Field(() => [RiskIndicator], { nullable: true })
  @IsOptional()
  @ArrayUnique()
  @ArrayMaxSize(20)
  riskIndicators?: RiskIndicator[];

  @Field(() => Classification, { nullable: true, description: 'Defaults to OFFICIAL' })
  @IsOptional()
  classification?: Classification;

  @Field(() => InformantInput, { nullable: true, description: 'Only for PUBLIC tip-offs; readable only by a police SUPERVISOR' })
  @IsOptional()
  @ValidateNested()
  informant?: InformantInput;
}

export { MAX_BATCH_SUBMISSIONS };

@ArgsType()
export class SubmitIntelligenceBatchArgs {
  @Field(() => [SubmitIntelligenceInput], {
    description: `1 to ${MAX_BATCH_SUBMISSIONS} submissions, each checked as submitIntelligence checks it (errors name inputs[i])`,
  })
  @ArrayMinSize(1, { message: `inputs must hold 1 to ${MAX_BATCH_SUBMISSIONS} submissions` })
  @ArrayMaxSize(MAX_BATCH_SUBMISSIONS, { message: `inputs must hold 1 to ${MAX_BATCH_SUBMISSIONS} submissions` })
  @ValidateNested({ each: true })
  inputs!: SubmitIntelligenceInput[];
}

@InputType({ description: 'Grade (all three of sourceEvaluation, intelligenceAssessment, handlingCode) and/or move the status' })
export class AssessmentInput {
  @Field(() => SourceEvaluation, { nullable: true })
  @IsOptional()
  sourceEvaluation?: SourceEvaluation;

  @Field(() => IntelligenceAssessment, { nullable: true })
  @IsOptional()
  intelligenceAssessment?: IntelligenceAssessment;

  @Field(() => HandlingCode, { nullable: true })
  @IsOptional()
  handlingCode?: HandlingCode;

  @Field({ nullable: true, description: 'Required with handling code C' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  handlingConditions?: string;

  @Field(() => ReportStatus, { nullable: true, description: 'The status to move to; defaults to ASSESSED when grading' })
  @IsOptional()
  status?: ReportStatus;
}

@InputType()
export class IntelligenceFilter {
  @Field(() => ID, { nullable: true, description: 'A division id; reports with no division are matched by "none"' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  division?: string;

  @Field(() => SourceType, { nullable: true })
  @IsOptional()
  sourceType?: SourceType;

  @Field(() => ReportStatus, { nullable: true })
  @IsOptional()
  status?: ReportStatus;

  @Field({ nullable: true, description: 'Received at or after' })
  @IsOptional()
  @IsDate()
  receivedFrom?: Date;

  @Field({ nullable: true, description: 'Received before' })
  @IsOptional()
  @IsDate()
  receivedTo?: Date;

  @Field(() => RiskIndicator, { nullable: true })
  @IsOptional()
  riskIndicator?: RiskIndicator;

  @Field({ nullable: true, description: 'Reports with (true) or without (false) a linked subject who has an active flag' })
  @IsOptional()
  @IsBoolean()
  flagged?: boolean;

  @Field(() => ID, { nullable: true, description: 'Reports linked to this subject' })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field({ nullable: true, description: 'The report with this reference (e.g. INT-7KQ2M-X9D4P)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  reference?: string;

  @Field({ nullable: true, description: "The caller's own submission sent with this idempotencyKey (keys are per submitter)" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;

  @Field({
    nullable: true,
    description: 'Reports changed (submitted, or their status or grading changed) at or after this time: for syncing',
  })
  @IsOptional()
  @IsDate()
  updatedSince?: Date;
}

@ArgsType()
export class IntelligenceListArgs extends PageArgs {
  @Field(() => IntelligenceFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: IntelligenceFilter;
}

@ArgsType()
export class IntelligenceSearchArgs extends IntelligenceListArgs {
  @Field({ description: 'Words to find in narratives and locations (web search syntax: "quoted phrases", -exclude, or)' })
  @IsString()
  @Length(1, 200)
  @notBlank('text')
  text!: string;
}

@ArgsType()
export class ReportIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an intelligence report id' })
  id!: string;
}
