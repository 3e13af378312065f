import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { ArgsType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { NotificationType } from './notification.enums';

registerEnumType(NotificationType, {
  name: 'NotificationType',
  description: 'What happened: the notice carries only this, ids and times (docs/notifications.md, "Notice types")',
});

/** The most notices one markNotificationsRead call marks. */
export const MAX_MARKED = 100;

@ObjectType({
  description:
    'A content-free notice to the signed-in user or partner app: what happened, to which record, when and by which agency. Fetch the record through the API to see what your permissions allow.',
})
export class Notification {
  @Field(() => ID, { description: 'The notice’s id: the same in the inbox, a webhook body and a subscription' })
  id!: string;

  @Field(() => NotificationType)
  type!: NotificationType;

  @Field({ description: 'When what it tells of happened' })
  occurredAt!: Date;

  @Field({ description: 'Marked read by you (markNotificationsRead)' })
  read!: boolean;

  @Field(() => String, { nullable: true, description: 'The kind of record it names, e.g. disclosure, flag, access_request, subject' })
  recordKind!: string | null;

  @Field(() => ID, { nullable: true })
  recordId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The subject it concerns, when it concerns one known to your agency' })
  subjectId!: string | null;

  /** Resolved by a field resolver (batched). */
  actingAgencyId!: string | null;
}

export const NotificationConnection = connectionOf('Notification', Notification);

@ArgsType()
export class NotificationListArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, description: 'Only notices not yet marked read' })
  @IsOptional()
  @IsBoolean()
  unreadOnly?: boolean;
}

@ArgsType()
export class MarkNotificationsReadArgs {
  @Field(() => [ID], { description: `Notice ids from your inbox (1 to ${MAX_MARKED})` })
  @ArrayMinSize(1, { message: 'ids must name at least one notice' })
  @ArrayMaxSize(MAX_MARKED, { message: `ids may name at most ${MAX_MARKED} notices` })
  @IsUUID('all', { each: true, message: 'ids must be notice ids' })
  ids!: string[];
}
