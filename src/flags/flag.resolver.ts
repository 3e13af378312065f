import { Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../graphql/context';
import { HistoryEntry } from '../history/history.types';
import { Permission } from '../policy/permissions';
import { endFlag, flagSubject } from './flag.service';
import { EndFlagArgs, Flag, FlagSubjectArgs } from './flag.types';

@Resolver(() => Flag)
export class FlagResolver {
  @Authorized(Permission.FLAG_SUBJECTS)
  @Mutation(() => Flag, { description: 'One active flag of each kind per subject; a child under 13 is never LOW' })
  flagSubject(@Ctx() ctx: RequestContext, @Args(() => FlagSubjectArgs) { subjectId, input }: FlagSubjectArgs) {
    return flagSubject(ctx, subjectId, input);
  }

  @Authorized(Permission.END_FLAGS)
  @Mutation(() => Flag, { description: 'Police SUPERVISOR: end a flag with a reason (it stays in the history)' })
  endFlag(@Ctx() ctx: RequestContext, @Args(() => EndFlagArgs) { flagId, reason }: EndFlagArgs) {
    return endFlag(ctx, flagId, reason);
  }

  @FieldResolver(() => [HistoryEntry])
  history(@Root() flag: Flag, @Ctx() ctx: RequestContext) {
    return ctx.loaders.history.load(`flag:${flag.id}`);
  }
}
