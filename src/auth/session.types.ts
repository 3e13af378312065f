import { IsUUID } from 'class-validator';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { connectionOf, PageArgs } from '../graphql/pagination';

@ObjectType('AuthSession', { description: 'One sign-in of a person: every token issued in it stops working when it ends' })
export class AuthSessionView {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  userId!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When its refresh token expires (null: none left; it ends with its access token)' })
  refreshExpiresAt!: Date | null;

  @Field({ description: "True for the caller's own current session" })
  current!: boolean;
}

export const AuthSessionConnection = connectionOf('AuthSession', AuthSessionView);

@ArgsType()
export class SessionIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a session id' })
  id!: string;
}

@ArgsType()
export class UserSessionsArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'userId must be a user id' })
  userId!: string;
}
