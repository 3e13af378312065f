import { IsDate, IsEnum, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { RetentionDecision, RetentionRecordKind } from './retention.enums';

registerEnumType(RetentionRecordKind, { name: 'RetentionRecordKind', description: 'A kind of record reviewed for retention' });
registerEnumType(RetentionDecision, {
  name: 'RetentionDecision',
  description: 'RETAIN (with a reason and the next review date) or DISPOSE (its case content removed; it is then NOT_FOUND everywhere)',
});

@ObjectType({ description: 'A review group (MoPI): how long after its basis date a record is first reviewed, and how often after' })
export class RetentionReviewGroup {
  @Field(() => Int)
  reviewGroup!: number;

  @Field()
  label!: string;

  @Field(() => Int)
  firstReviewYears!: number;

  @Field(() => Int, { nullable: true })
  repeatReviewYears!: number | null;

  @Field(() => Int, { nullable: true, description: 'Kept at least until the subject is this old (group 1: 100)' })
  keepUntilAge!: number | null;

  @Field({ description: 'Where the rule comes from' })
  source!: string;
}

@ObjectType({ description: 'A decision at a retention review: who, when, why, and when the record is next reviewed' })
export class RetentionDecisionRecord {
  @Field(() => ID)
  id!: string;

  @Field(() => RetentionRecordKind)
  recordKind!: RetentionRecordKind;

  @Field(() => ID)
  recordId!: string;

  @Field(() => Int)
  reviewGroup!: number;

  @Field(() => RetentionDecision)
  decision!: RetentionDecision;

  @Field()
  reason!: string;

  @Field(() => Date, { nullable: true })
  nextReviewAt!: Date | null;

  @Field(() => ID)
  decidedByUserId!: string;

  @Field()
  decidedAt!: Date;
}

@ObjectType({ description: 'A record whose retention review date has passed' })
export class RetentionReview {
  @Field(() => ID, { description: 'The record’s id (as recordId)' })
  id!: string;

  @Field(() => RetentionRecordKind)
  recordKind!: RetentionRecordKind;

  @Field(() => ID)
  recordId!: string;

  @Field(() => String, {
    description: 'Its reference (a report’s or crime’s reference, a subject’s police reference, a flag’s kind)',
    nullable: true,
  })
  label!: string | null;

  @Field(() => Int)
  reviewGroup!: number;

  @Field({ description: 'The date its retention runs from: received, recorded, set, or (a subject) its first report' })
  basisAt!: Date;

  @Field({ description: 'The last decision’s next review date, or the basis date plus the group’s first review period' })
  reviewDueAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was last decided on (RETAIN), if ever' })
  lastReviewedAt!: Date | null;
}

export const RetentionReviewConnection = connectionOf('RetentionReview', RetentionReview);

@ArgsType()
export class RetentionReviewsArgs extends PageArgs {
  @Field(() => RetentionRecordKind, { nullable: true, description: 'Only records of this kind' })
  @IsOptional()
  @IsEnum(RetentionRecordKind)
  recordKind?: RetentionRecordKind;
}

@ArgsType()
export class DecideRetentionArgs {
  @Field(() => RetentionRecordKind)
  @IsEnum(RetentionRecordKind)
  recordKind!: RetentionRecordKind;

  @Field(() => ID)
  @IsUUID('all', { message: 'recordId must be a record id' })
  recordId!: string;

  @Field(() => RetentionDecision)
  @IsEnum(RetentionDecision)
  decision!: RetentionDecision;

  @Field({ description: 'Why: recorded with the decision' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;

  @Field(() => Date, {
    nullable: true,
    description: 'RETAIN: the next review (after now, within the group’s review period); DISPOSE: none',
  })
  @IsOptional()
  @IsDate()
  nextReviewAt?: Date;
}
