import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsEnum, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { NotificationType } from '../notifications/notification.enums';
// The enum's GraphQL registration.
import '../notifications/notification.types';
import type { WebhookDeliveryStatus } from './webhook.enums';

const NOTICE_TYPES = Object.values(NotificationType).length;

@ObjectType({
  description:
    'A receiver of your agency’s notices: signed POSTs of content-free bodies (docs/notifications.md, "Webhooks"). Its secret is shown once, when registered or rotated.',
})
export class WebhookEndpoint {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => [NotificationType], { description: 'The notice types it is sent' })
  events!: NotificationType[];

  @Field({ description: 'Disabled endpoints are sent nothing, queued deliveries included' })
  enabled!: boolean;

  @Field()
  description!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'When the secret now signing its deliveries was issued' })
  secretIssuedAt!: Date;

  @Field(() => Date, { nullable: true })
  disabledAt!: Date | null;
}

@ObjectType({ description: 'An endpoint with its signing secret: the only time the secret is shown' })
export class WebhookRegistration {
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;

  @Field({ description: '"whsec_" and 32 random bytes in base64: verify each delivery’s webhook-signature with it' })
  secret!: string;
}

@ObjectType({ description: 'One notice sent (or being sent) to one endpoint: outcomes only, never what the receiver answered' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Its webhook-id header' })
  id!: string;

  @Field(() => ID)
  endpointId!: string;

  @Field(() => ID, { description: 'The notice it carries (the body’s id)' })
  notificationId!: string;

  @Field(() => NotificationType)
  type!: NotificationType;

  @Field({ description: 'PENDING, DELIVERED, FAILED (a retry is scheduled), DEAD (retries exhausted) or CANCELLED (endpoint disabled)' })
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last attempt (none: no answer)' })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, briefly (a timeout, a refused destination)' })
  lastError!: string | null;

  @Field(() => Int, { nullable: true, description: 'How long the last attempt took to be answered' })
  latencyMs!: number | null;

  @Field(() => Date, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field()
  createdAt!: Date;
}

export const WebhookDeliveryConnection = connectionOf('WebhookDelivery', WebhookDelivery);

@InputType()
export class RegisterWebhookInput {
  @Field({ description: 'https:// (http:// outside production) on a public address, or a host on WEBHOOK_ALLOWED_HOSTS' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @Field(() => [NotificationType], { description: 'The notice types to send it (at least one)' })
  @ArrayMinSize(1, { message: 'events must name at least one notice type' })
  @ArrayMaxSize(NOTICE_TYPES)
  @ArrayUnique({ message: 'events must not repeat a notice type' })
  @IsEnum(NotificationType, { each: true })
  events!: NotificationType[];

  @Field(() => String, { nullable: true, description: 'What receives it, for your administrators (up to 500 characters)' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

@ArgsType()
export class WebhookIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a webhook endpoint id' })
  id!: string;
}

@ArgsType()
export class RedeliverWebhookArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'deliveryId must be a webhook delivery id' })
  deliveryId!: string;
}

@ArgsType()
export class WebhookDeliveriesArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'endpointId must be a webhook endpoint id' })
  endpointId!: string;
}
