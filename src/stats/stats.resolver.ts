import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { crimeStats, flagStats, intelligenceStats } from './stats.service';
import { CrimeStats, FlagStats, FlagStatsArgs, IntelligenceStats, StatsArgs } from './stats.types';

const CONTROL =
  'Outside police ANALYST and SUPERVISOR: the published grid only (whole UTC months; each month × division (× source type) cell from 1 to 4 withheld on its own, every number a sum of published cells).';

@Resolver()
export class StatsResolver {
  @Authorized(Permission.READ_STATISTICS)
  @Query(() => IntelligenceStats, { description: `Intelligence received in [from, to). ${CONTROL}` })
  intelligenceStats(@Ctx() ctx: GraphQLContext, @Args(() => StatsArgs) args: StatsArgs) {
    return intelligenceStats(ctx, args);
  }

  @Authorized(Permission.READ_STATISTICS)
  @Query(() => CrimeStats, { description: `CSE-linked crimes recorded in [from, to), by DIVISION and MONTH. ${CONTROL}` })
  crimeStats(@Ctx() ctx: GraphQLContext, @Args(() => StatsArgs) args: StatsArgs) {
    return crimeStats(ctx, args);
  }

  @Authorized(Permission.READ_FLAG_STATISTICS)
  @Query(() => FlagStats, {
    description: 'Flags in force, flags due for review, and under-flagging of reports in [from, to). Police ANALYST and SUPERVISOR only.',
  })
  flagStats(@Ctx() ctx: GraphQLContext, @Args(() => FlagStatsArgs) args: FlagStatsArgs) {
    return flagStats(ctx, args);
  }
}
