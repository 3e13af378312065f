import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { Authorized, Resolver, Root, Subscription } from 'type-graphql';
import { Notification } from '../notifications/notification.types';
import { Permission } from '../policy/permissions';
import { notificationsAdded, type SubscriptionContext } from './subscription.service';

/** The fields a subscription selects on its root field's type, fragments expanded (what each pushed notice's audit event lists). */
function selectedFields(info: GraphQLResolveInfo): string[] {
  const names = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, seen: readonly string[]): void => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        if (!s.name.value.startsWith('__')) names.add(s.name.value);
      } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, seen);
      else if (!seen.includes(s.name.value)) walk(info.fragments[s.name.value]?.selectionSet, [...seen, s.name.value]);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet, []);
  return [...names].sort();
}

@Resolver()
export class SubscriptionResolver {
  @Authorized(Permission.READ_NOTIFICATIONS)
  @Subscription(() => Notification, {
    description:
      'Your new notices as they reach your inbox, over graphql-ws on /graphql (docs/notifications.md, "Subscriptions"); each is audited as a read',
    subscribe: ({ context, info }) => notificationsAdded(context as SubscriptionContext, selectedFields(info)),
  })
  notificationAdded(@Root() notice: Notification): Notification {
    return notice;
  }
}
