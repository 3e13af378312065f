import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { decideRetention, retentionReviewGroups, retentionReviews } from './retention.service';
import {
  DecideRetentionArgs,
  RetentionDecisionRecord,
  RetentionReviewConnection,
  RetentionReviewGroup,
  RetentionReviewsArgs,
} from './retention.types';

@Resolver()
export class RetentionResolver {
  @Authorized(Permission.REVIEW_RETENTION)
  @Query(() => RetentionReviewConnection, {
    description: 'Police SUPERVISOR: records (reports, subjects, flags, crimes) whose retention review date has passed, oldest due first',
  })
  retentionReviews(@Ctx() ctx: GraphQLContext, @Args(() => RetentionReviewsArgs) args: RetentionReviewsArgs) {
    return retentionReviews(ctx, args);
  }

  @Authorized(Permission.REVIEW_RETENTION)
  @Query(() => [RetentionReviewGroup], {
    description: 'Police SUPERVISOR: the retention review groups (MoPI) as configured, with their source',
  })
  retentionReviewGroups(@Ctx() ctx: GraphQLContext) {
    return retentionReviewGroups(ctx);
  }

  @Authorized(Permission.REVIEW_RETENTION)
  @Mutation(() => RetentionDecisionRecord, {
    description:
      'Police SUPERVISOR: decide on a record due for review. RETAIN needs a reason and nextReviewAt; DISPOSE removes its case content and it is NOT_FOUND everywhere after (the audit trail keeps its ids)',
  })
  decideRetention(@Ctx() ctx: GraphQLContext, @Args(() => DecideRetentionArgs) args: DecideRetentionArgs) {
    return decideRetention(ctx, args);
  }
}
