import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
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
import { DateScalar } from '../graphql/scalars';
import { CrimeRole } from './crime.enums';

registerEnumType(CrimeRole, { name: 'CrimeRole' });

@ObjectType({ description: 'A CSE-linked crime' })
export class Crime {
  @Field(() => ID)
  id!: string;

  @Field()
  crimeReference!: string;

  @Field()
  offence!: string;

  /** Resolved by a field resolver (batched). */
  divisionId!: string | null;

  @Field(() => DateScalar)
  recordedOn!: string;

  @Field()
  createdAt!: Date;
}

export const CrimeConnection = connectionOf('Crime', Crime);

@ObjectType({ description: 'A crime a subject is part of, with their role in it' })
export class SubjectCrimeLink {
  @Field(() => CrimeRole)
  role!: CrimeRole;

  @Field(() => Crime)
  crime!: Crime;
}

const MAX_PEOPLE = 500;

@InputType()
export class RecordCrimeInput {
  @Field({ description: 'Unique, e.g. the force crime number' })
  @IsString()
  @Length(1, 64)
  @Matches(/^\S(.*\S)?$/, { message: 'crimeReference must not start or end with spaces' })
  crimeReference!: string;

  @Field()
  @IsString()
  @Length(1, 500)
  @Matches(/\S/, { message: 'offence must not be blank' })
  offence!: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  divisionId?: string;

  @Field(() => DateScalar, { description: 'The date the crime was recorded; not in the future' })
  recordedOn!: string;

  @Field(() => [ID], { description: 'Subject ids of the victims (at least one)' })
  @ArrayMinSize(1, { message: 'victimIds needs at least one victim' })
  @ArrayMaxSize(MAX_PEOPLE)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'victimIds must be subject ids' })
  victimIds!: string[];

  @Field(() => [ID], { nullable: true, description: 'Subject ids of the suspects' })
  @IsOptional()
  @ArrayMaxSize(MAX_PEOPLE)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'suspectIds must be subject ids' })
  suspectIds?: string[];
}

@InputType()
export class CrimeFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  division?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Recorded on or after' })
  @IsOptional()
  recordedFrom?: string;

  @Field(() => DateScalar, { nullable: true, description: 'Recorded on or before' })
  @IsOptional()
  recordedTo?: string;

  @Field(() => ID, { nullable: true, description: 'Crimes with this subject as victim or suspect' })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;
}

@ArgsType()
export class CrimeListArgs extends PageArgs {
  @Field(() => CrimeFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: CrimeFilter;
}

@ArgsType()
export class CrimeIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a crime id' })
  id!: string;
}
