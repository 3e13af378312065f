import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { accessRequestTimeliness } from './timeliness.service';
import { AccessRequestTimeliness, TimelinessArgs } from './timeliness.types';

@Resolver()
export class TimelinessResolver {
  @Authorized(Permission.READ_TIMELINESS_STATISTICS)
  @Query(() => AccessRequestTimeliness, {
    description:
      'How promptly access requests made in [from, to) were answered, by urgency. Police ANALYST and SUPERVISOR only, on the published grid (whole ended UTC months; each month × urgency count from 1 to 4 withheld).',
  })
  accessRequestTimeliness(@Ctx() ctx: GraphQLContext, @Args(() => TimelinessArgs) args: TimelinessArgs) {
    return accessRequestTimeliness(ctx, args);
  }
}
