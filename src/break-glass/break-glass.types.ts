import { IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';

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
