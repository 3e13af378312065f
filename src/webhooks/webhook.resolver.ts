import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import {
  disableWebhook,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  registerWebhook,
  rotateWebhookSecret,
} from './webhook.service';
import {
  RedeliverWebhookArgs,
  RegisterWebhookInput,
  WebhookDeliveriesArgs,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookIdArgs,
  WebhookRegistration,
} from './webhook.types';

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Query(() => [WebhookEndpoint], { description: "ADMIN: the admin's own agency's webhook endpoints, newest first" })
  webhookEndpoints(@Ctx() ctx: GraphQLContext) {
    return listWebhookEndpoints(ctx);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Query(() => WebhookDeliveryConnection, { description: "ADMIN: an endpoint's delivery log, newest first" })
  webhookDeliveries(@Ctx() ctx: GraphQLContext, @Args(() => WebhookDeliveriesArgs) { endpointId, ...page }: WebhookDeliveriesArgs) {
    return listWebhookDeliveries(ctx, endpointId, page);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookRegistration, {
    description:
      'ADMIN: register a receiver of the agency\'s notices; the signing secret is returned this once (docs/notifications.md, "Webhooks")',
  })
  registerWebhook(@Ctx() ctx: GraphQLContext, @Arg('input', () => RegisterWebhookInput) input: RegisterWebhookInput) {
    return registerWebhook(ctx, input);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookRegistration, { description: 'ADMIN: replace an endpoint’s signing secret; the new one is returned this once' })
  rotateWebhookSecret(@Ctx() ctx: GraphQLContext, @Args(() => WebhookIdArgs) { id }: WebhookIdArgs) {
    return rotateWebhookSecret(ctx, id);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookEndpoint, { description: 'ADMIN: stop sending to an endpoint; deliveries not yet made are cancelled' })
  disableWebhook(@Ctx() ctx: GraphQLContext, @Args(() => WebhookIdArgs) { id }: WebhookIdArgs) {
    return disableWebhook(ctx, id);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookDelivery, { description: 'ADMIN: queue a DEAD or FAILED delivery again, for a new round of attempts' })
  redeliverWebhook(@Ctx() ctx: GraphQLContext, @Args(() => RedeliverWebhookArgs) { deliveryId }: RedeliverWebhookArgs) {
    return redeliverWebhook(ctx, deliveryId);
  }
}
