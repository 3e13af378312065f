import { Field, ID, ObjectType } from 'type-graphql';
import { JsonScalar } from '../graphql/scalars';

@ObjectType({ description: 'One change to a record: who, when, what it was before and after' })
export class HistoryEntry {
  @Field()
  action!: string;

  @Field(() => ID, { description: 'The user or partner app that made the change' })
  actorId!: string;

  @Field(() => ID)
  actorAgencyId!: string;

  @Field()
  changedAt!: Date;

  @Field(() => JsonScalar, { nullable: true })
  before!: unknown;

  @Field(() => JsonScalar, { nullable: true })
  after!: unknown;
}
