import {
  ArrayMaxSize,
  ArrayUnique,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FlagKind, RiskLevel } from '../flags/flag.enums';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { DateScalar } from '../graphql/scalars';
import { Gender, MatchReason, SubjectRole } from './subject.enums';

registerEnumType(Gender, { name: 'Gender' });
registerEnumType(SubjectRole, { name: 'SubjectRole', description: "A subject's role in one report" });

@ObjectType({ description: 'A person (child or adult) known to one or more agencies' })
export class Subject {
  @Field(() => ID)
  id!: string;

  @Field()
  fullName!: string;

  @Field(() => [String])
  aliases!: string[];

  @Field(() => DateScalar, { nullable: true })
  dateOfBirth!: string | null;

  @Field(() => Int, { nullable: true, description: 'An estimate, when the date of birth is unknown' })
  approximateAge!: number | null;

  @Field(() => Int, { nullable: true, description: 'Age today: from the date of birth, else the estimate' })
  age!: number | null;

  @Field(() => Gender)
  gender!: Gender;

  @Field(() => String, { nullable: true })
  policeReference!: string | null;

  @Field(() => String, { nullable: true })
  nhsNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'School unique pupil number' })
  schoolUpn!: string | null;

  @Field(() => String, { nullable: true })
  socialCareId!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => [String], { description: 'Names of the fields withheld from the caller' })
  redactedFields!: string[];
}

export const SubjectConnection = connectionOf('Subject', Subject);

@ObjectType({ description: 'A subject linked to a report, with their role in it' })
export class ReportSubjectLink {
  @Field(() => SubjectRole)
  role!: SubjectRole;

  @Field(() => Subject)
  subject!: Subject;
}

export { MatchReason };
registerEnumType(MatchReason, { name: 'MatchReason' });

@ObjectType({ description: 'An existing subject who may be the person described' })
export class SubjectMatch {
  @Field(() => Subject)
  subject!: Subject;

  @Field(() => Float, { description: '0 to 1; 1 means an identifier matched exactly' })
  confidence!: number;

  @Field(() => MatchReason)
  reason!: MatchReason;
}

const UPN = /^[A-Z][0-9]{11}[0-9A-Z]$/;

@InputType({ description: 'A person not yet in Safeshare' })
export class NewSubjectInput {
  @Field()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'fullName must not be blank' })
  fullName!: string;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  aliases?: string[];

  @Field(() => DateScalar, { nullable: true })
  @IsOptional()
  dateOfBirth?: string;

  @Field(() => Int, { nullable: true, description: 'When the date of birth is unknown' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(120)
  approximateAge?: number;

  @Field(() => Gender, { nullable: true })
  @IsOptional()
  gender?: Gender;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  policeReference?: string;

  @Field({ nullable: true, description: '10 digits with a valid check digit; spaces allowed' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  nhsNumber?: string;

  @Field({ nullable: true, description: 'School unique pupil number: 13 characters, e.g. A123456789012' })
  @IsOptional()
  @Matches(UPN, { message: 'schoolUpn must be a letter, 11 digits and a final digit or letter' })
  schoolUpn?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  socialCareId?: string;
}

@InputType({ description: 'Link an existing subject (subjectId) or a new one (newSubject), with their role' })
export class LinkSubjectInput {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field(() => NewSubjectInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  newSubject?: NewSubjectInput;

  @Field(() => SubjectRole)
  role!: SubjectRole;

  @Field({
    nullable: true,
    description:
      'Create newSubject even though it resembles existing subjects by name and date of birth (never when an identifier matches)',
  })
  @IsOptional()
  @IsBoolean()
  allowPossibleDuplicate?: boolean;
}

@InputType()
export class SubjectFilter {
  @Field({ nullable: true, description: 'Fuzzy match on name (police ANALYST and SUPERVISOR)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @Field(() => DateScalar, { nullable: true })
  @IsOptional()
  dateOfBirth?: string;

  @Field({ nullable: true, description: 'Exact police reference, NHS number, school UPN or social care id' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  identifier?: string;

  @Field(() => FlagKind, { nullable: true, description: 'Subjects with an active flag of this kind' })
  @IsOptional()
  flagKind?: FlagKind;

  @Field(() => RiskLevel, { nullable: true, description: 'Subjects with an active flag at this level' })
  @IsOptional()
  riskLevel?: RiskLevel;
}

@ArgsType()
export class SubjectListArgs extends PageArgs {
  @Field(() => SubjectFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: SubjectFilter;
}

@ArgsType()
export class SubjectIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a subject id' })
  id!: string;
}
