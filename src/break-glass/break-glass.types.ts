import { IsBoolean, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';

@ObjectType({ description: 'Emergency, time-boxed read of one subject and its reports outside normal scope; every grant is reviewed' })
export class BreakGlassGrant {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  subjectId!: string;

  @Field(() => ID)
  userId!: string;

  @Field()
  reason!: string;

  @Field()
  grantedAt!: Date;

  @Field({ description: 'Access ends then (an hour after the grant)' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Null until reviewed' })
  reviewedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'JUSTIFIED, NOT_JUSTIFIED or REFERRED' })
  reviewOutcome!: string | null;

  @Field(() => String, { nullable: true })
  reviewNote!: string | null;

  /** The reviewer, for `reviewedBy` (the directory decides whether it is shown). */
  reviewedByUserId!: string | null;
}

export const BreakGlassGrantConnection = connectionOf('BreakGlassGrant', BreakGlassGrant);

@ArgsType()
export class BreakGlassGrantsArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, description: 'true: reviewed only; false: awaiting review only; omitted: both' })
  @IsOptional()
  @IsBoolean()
  reviewed?: boolean;
}

@ArgsType()
export class BreakGlassArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId!: string;

  @Field({ description: 'Why this cannot wait for an access request: reviewed by audit' })
  @IsString()
  @Length(10, 2000, { message: 'reason must say why, in at least 10 characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
