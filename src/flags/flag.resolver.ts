import { Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { HistoryEntry } from '../history/history.types';
import { withheld } from '../policy/fields';
import { Permission } from '../policy/permissions';
import { approveFlag, endFlag, flagSubject, rejectFlag } from './flag.service';
import { Flag, FlagIdArgs, FlagReasonArgs, FlagSubjectArgs } from './flag.types';

@Resolver(() => Flag)
export class FlagResolver {
  @Authorized(Permission.FLAG_SUBJECTS)
  @Mutation(() => Flag, {
    description:
      'PROPOSED until a police SUPERVISOR approves it; active at once when one sets it. One active or proposed flag of each kind per subject; a child under 13 is never LOW',
  })
  flagSubject(@Ctx() ctx: GraphQLContext, @Args(() => FlagSubjectArgs) { subjectId, input }: FlagSubjectArgs) {
    return flagSubject(ctx, subjectId, input);
  }

  @Authorized(Permission.APPROVE_FLAGS)
  @Mutation(() => Flag, { description: 'Police SUPERVISOR: put a PROPOSED flag in force' })
  approveFlag(@Ctx() ctx: GraphQLContext, @Args(() => FlagIdArgs) { flagId }: FlagIdArgs) {
    return approveFlag(ctx, flagId);
  }

  @Authorized(Permission.APPROVE_FLAGS)
  @Mutation(() => Flag, { description: 'Police SUPERVISOR: reject a PROPOSED flag with a reason (it stays in the history)' })
  rejectFlag(@Ctx() ctx: GraphQLContext, @Args(() => FlagReasonArgs) { flagId, reason }: FlagReasonArgs) {
    return rejectFlag(ctx, flagId, reason);
  }

  @Authorized(Permission.END_FLAGS)
  @Mutation(() => Flag, { description: 'Police SUPERVISOR: end an ACTIVE flag with a reason (it stays in the history)' })
  endFlag(@Ctx() ctx: GraphQLContext, @Args(() => FlagReasonArgs) { flagId, reason }: FlagReasonArgs) {
    return endFlag(ctx, flagId, reason);
  }

  @FieldResolver(() => [HistoryEntry], { description: 'Police case readers only; empty for anyone else' })
  history(@Root() flag: Flag, @Ctx() ctx: GraphQLContext) {
    return withheld(flag, 'history') ? [] : ctx.loaders.history.load(`flag:${flag.id}`);
  }
}
