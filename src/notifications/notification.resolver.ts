import { Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { listNotifications, markNotificationsRead } from './notification.service';
import { MarkNotificationsReadArgs, Notification, NotificationConnection, NotificationListArgs } from './notification.types';

@Resolver(() => Notification)
export class NotificationResolver {
  @Authorized(Permission.READ_NOTIFICATIONS)
  @Query(() => NotificationConnection, {
    description: 'Your inbox, newest first: the notices policy sent you (docs/notifications.md, "Who is told")',
  })
  notifications(@Ctx() ctx: GraphQLContext, @Args(() => NotificationListArgs) args: NotificationListArgs) {
    return listNotifications(ctx, args);
  }

  @Authorized(Permission.READ_NOTIFICATIONS)
  @Mutation(() => Int, { description: 'Mark notices in your inbox read; returns how many were newly marked' })
  markNotificationsRead(@Ctx() ctx: GraphQLContext, @Args(() => MarkNotificationsReadArgs) { ids }: MarkNotificationsReadArgs) {
    return markNotificationsRead(ctx, ids);
  }

  @FieldResolver(() => Agency, { nullable: true, description: 'The agency whose act raised it (never the person)' })
  actingAgency(@Root() notice: Notification, @Ctx() ctx: GraphQLContext) {
    return notice.actingAgencyId ? ctx.loaders.agencyById.load(notice.actingAgencyId) : null;
  }
}
