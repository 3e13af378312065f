import { IsDate } from 'class-validator';
import { ArgsType, Field, Float, Int, ObjectType } from 'type-graphql';
import { Urgency } from '../disclosures/disclosure.enums';

@ArgsType()
export class TimelinessArgs {
  @Field({ description: 'Start of the range of requests, by when they were made (inclusive)' })
  @IsDate()
  from!: Date;

  @Field({ description: 'End of that range (exclusive); at most 10 years after `from`' })
  @IsDate()
  to!: Date;
}

const GRID = 'the sum of the published month cells (each from 1 to 4 withheld); null when all are withheld';

@ObjectType({ description: 'How promptly the access requests of one urgency were answered' })
export class AccessRequestTimelinessRow {
  @Field(() => Urgency)
  urgency!: Urgency;

  @Field(() => Int, { description: 'Hours a request of this urgency is given now (requests keep the hours they were given)' })
  dueHours!: number;

  @Field(() => Int, { nullable: true, description: `Requests made: ${GRID}` })
  requested!: number | null;

  @Field(() => Int, { nullable: true, description: `Disclosed or declined by their due time: ${GRID}` })
  decidedInTime!: number | null;

  @Field(() => Int, { nullable: true, description: `Disclosed or declined after their due time: ${GRID}` })
  decidedLate!: number | null;

  @Field(() => Int, { nullable: true, description: `Still pending and past their due time: ${GRID}` })
  pendingOverdue!: number | null;

  @Field(() => Float, { nullable: true, description: 'Median hours from request to decision; null with fewer than 5 decisions' })
  medianDecisionHours!: number | null;

  @Field(() => Int, { description: 'Month cells of this urgency with any measure withheld by disclosure control' })
  withheldCells!: number;
}

@ObjectType({ description: 'Access requests by urgency: requested, answered in time or late, overdue, and how long answers took' })
export class AccessRequestTimeliness {
  @Field({ description: 'Start of the months counted (the range widened to whole UTC months)' })
  countedFrom!: Date;

  @Field({ description: 'End of the months counted (months not yet ended are left out)' })
  countedTo!: Date;

  @Field(() => [AccessRequestTimelinessRow], { description: 'One row per urgency, RED, AMBER, GREEN' })
  rows!: AccessRequestTimelinessRow[];
}
