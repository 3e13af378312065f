import { IsOptional, IsString, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from '../graphql/scalars';
import { FlagKind, FlagStatus, RiskLevel } from './flag.enums';

registerEnumType(FlagKind, { name: 'FlagKind', description: 'CSE_RISK: potential victim; CSE_PERPETRATOR' });
registerEnumType(RiskLevel, { name: 'RiskLevel', description: 'A child under 13 is never LOW' });
registerEnumType(FlagStatus, {
  name: 'FlagStatus',
  description: 'PROPOSED until a police supervisor approves it (ACTIVE) or rejects it (REJECTED); ACTIVE until ended (ENDED)',
});

@ObjectType({ description: 'A CSE flag on a subject. Flags are never deleted, only rejected or ended.' })
export class Flag {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  subjectId!: string;

  @Field(() => FlagKind)
  kind!: FlagKind;

  @Field(() => RiskLevel)
  riskLevel!: RiskLevel;

  @Field(() => FlagStatus)
  status!: FlagStatus;

  @Field()
  reason!: string;

  @Field(() => DateScalar, { nullable: true })
  reviewDate!: string | null;

  @Field()
  setAt!: Date;

  @Field(() => ID)
  setByUserId!: string;

  @Field(() => ID)
  setByAgencyId!: string;

  @Field(() => Date, { nullable: true, description: 'When a supervisor approved the proposal; null for a flag active when set' })
  approvedAt!: Date | null;

  @Field(() => ID, { nullable: true })
  approvedByUserId!: string | null;

  @Field(() => Date, { nullable: true })
  rejectedAt!: Date | null;

  @Field(() => ID, { nullable: true })
  rejectedByUserId!: string | null;

  @Field(() => String, { nullable: true })
  rejectionReason!: string | null;

  @Field(() => Date, { nullable: true })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true })
  endReason!: string | null;

  @Field(() => [String], { description: 'Names of the fields withheld from the caller' })
  redactedFields!: string[];
}

@InputType()
export class FlagInput {
  @Field(() => FlagKind)
  kind!: FlagKind;

  @Field(() => RiskLevel)
  riskLevel!: RiskLevel;

  @Field()
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;

  @Field(() => DateScalar, { nullable: true, description: 'When the flag should be reviewed; today or later' })
  @IsOptional()
  reviewDate?: string;
}

@ArgsType()
export class FlagSubjectArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId!: string;

  @Field(() => FlagInput)
  @ValidateNested()
  input!: FlagInput;
}

@ArgsType()
export class FlagIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'flagId must be a flag id' })
  flagId!: string;
}

/** endFlag and rejectFlag: a flag and the reason, never blank. */
@ArgsType()
export class FlagReasonArgs extends FlagIdArgs {
  @Field()
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
