import { IsDate, IsEnum, IsOptional } from 'class-validator';
import { ArgsType, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Division } from '../agencies/agency.types';
import { FlagKind, RiskLevel } from '../flags/flag.enums';
import { DateScalar } from '../graphql/scalars';
import { SourceType } from '../intelligence/intelligence.enums';

export enum StatsDimension {
  DIVISION = 'DIVISION',
  SOURCE_TYPE = 'SOURCE_TYPE',
  MONTH = 'MONTH',
}
registerEnumType(StatsDimension, { name: 'StatsDimension', description: 'What a statistics table groups by' });

@ArgsType()
export class StatsArgs {
  @Field({ description: 'Start of the range (inclusive)' })
  @IsDate()
  from!: Date;

  @Field({ description: 'End of the range (exclusive); at most 10 years after `from`' })
  @IsDate()
  to!: Date;

  @Field(() => [StatsDimension], { nullable: true, description: 'Any combination, each once; omitted: the total alone' })
  @IsOptional()
  @IsEnum(StatsDimension, { each: true })
  groupBy?: StatsDimension[] | null;
}

@ArgsType()
export class FlagStatsArgs {
  @Field({ description: 'Start of the range of reports for the under-flagging check (inclusive)' })
  @IsDate()
  from!: Date;

  @Field({ description: 'End of that range (exclusive); at most 10 years after `from`' })
  @IsDate()
  to!: Date;
}

@ObjectType({ description: 'One cell of an intelligence statistics table; dimensions not grouped by are null' })
export class IntelligenceStatsRow {
  @Field(() => Division, { nullable: true, description: 'Null when not grouped by division, or for reports with none' })
  division!: Division | null;

  @Field(() => SourceType, { nullable: true })
  sourceType!: SourceType | null;

  @Field(() => DateScalar, { nullable: true, description: 'First day of the month (UTC)' })
  month!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Null when suppressed; under disclosure control the sum of the published grid cells in it',
  })
  count!: number | null;

  @Field({ description: 'Every grid cell in it is withheld by disclosure control (count is null)' })
  suppressed!: boolean;

  @Field(() => Int, { description: 'Grid cells in it withheld by disclosure control (each from 1 to 4, not in count); 0 for full detail' })
  withheld!: number;
}

const COUNTED_FROM = 'Start of the range counted: as asked for full detail, else the first day of its UTC month';
const COUNTED_TO =
  'End of the range counted (exclusive): as asked for full detail, else the first month start at or after it, and not after the start of the current month';

@ObjectType()
export class IntelligenceStats {
  @Field(() => Int, { nullable: true, description: 'All reports in the range; null only when suppressed' })
  total!: number | null;

  @Field(() => Int, { description: 'Grid cells of the range withheld by disclosure control (not in total)' })
  withheld!: number;

  @Field({ description: COUNTED_FROM })
  from!: Date;

  @Field({ description: COUNTED_TO })
  to!: Date;

  @Field(() => [IntelligenceStatsRow], { description: 'Non-zero cells (and suppressed ones); a missing cell is 0' })
  rows!: IntelligenceStatsRow[];
}

@ObjectType({ description: 'CSE-linked crimes of one cell; victims and suspects are distinct people' })
export class CrimeStatsRow {
  @Field(() => Division, { nullable: true })
  division!: Division | null;

  @Field(() => DateScalar, { nullable: true, description: 'First day of the month' })
  month!: string | null;

  @Field(() => Int, { nullable: true })
  crimes!: number | null;

  @Field(() => Int, { nullable: true, description: 'Null when suppressed, and always outside police ANALYST and SUPERVISOR' })
  victims!: number | null;

  @Field(() => Int, { nullable: true, description: 'Null when suppressed, and always outside police ANALYST and SUPERVISOR' })
  suspects!: number | null;

  @Field({ description: 'Every grid cell in it is withheld by disclosure control (crimes is null)' })
  suppressed!: boolean;

  @Field(() => Int, { description: 'Grid cells in it withheld by disclosure control (each from 1 to 4, not in crimes); 0 for full detail' })
  withheld!: number;
}

@ObjectType()
export class CrimeStats {
  @Field(() => CrimeStatsRow, { description: 'The whole range (victims and suspects counted once each)' })
  total!: CrimeStatsRow;

  @Field(() => [CrimeStatsRow])
  rows!: CrimeStatsRow[];

  @Field({ description: COUNTED_FROM })
  from!: Date;

  @Field({ description: COUNTED_TO })
  to!: Date;
}

@ObjectType({ description: 'Flags in force of one kind and risk level, by the division of the subject’s latest report' })
export class FlagStatsRow {
  @Field(() => Division, { nullable: true })
  division!: Division | null;

  @Field(() => FlagKind)
  kind!: FlagKind;

  @Field(() => RiskLevel)
  riskLevel!: RiskLevel;

  @Field(() => Int, { nullable: true })
  count!: number | null;

  @Field()
  suppressed!: boolean;
}

@ObjectType({ description: 'Reports with CSE risk indicators whose potential victims carry no CSE_RISK flag in force' })
export class UnderFlagging {
  @Field(() => Int, { nullable: true, description: 'Reports in the range with risk indicators and a potential victim' })
  reports!: number | null;

  @Field(() => Int, { nullable: true, description: 'Of those, reports none of whose potential victims is flagged' })
  unflagged!: number | null;

  @Field(() => Float, { nullable: true, description: 'unflagged / reports (null when there are none, or suppressed)' })
  unflaggedShare!: number | null;

  @Field()
  suppressed!: boolean;
}

@ObjectType()
export class FlagStats {
  @Field({ description: 'When the flags were counted' })
  asOf!: Date;

  @Field(() => Int, { nullable: true, description: 'Flags in force; null only when suppressed' })
  activeTotal!: number | null;

  @Field(() => [FlagStatsRow])
  active!: FlagStatsRow[];

  @Field(() => Int, { nullable: true, description: 'Flags in force whose review date is today or past (UTC)' })
  dueForReview!: number | null;

  @Field()
  dueForReviewSuppressed!: boolean;

  @Field(() => UnderFlagging)
  underFlagging!: UnderFlagging;
}
