import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { connectionOf } from '../graphql/pagination';
import { JsonInputScalar } from '../graphql/scalars';
import { ServiceScope } from '../users/service-account.entity';
// The ServiceScope enum's GraphQL registration.
import '../users/user.types';

/** The longest grace a rotation may give the previous secret: 30 days, as PARTNER_SECRET_GRACE_SECONDS. */
export const MAX_GRACE_MINUTES = 30 * 24 * 60;
export const PARTNER_APP_NAME_MAX = 200;

@ObjectType({
  description: 'A partner app (a service account) of your agency: it signs in with its client id and secret (serviceToken)',
})
export class PartnerApp {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'What it signs in with (serviceToken clientId)' })
  clientId!: string;

  @Field()
  name!: string;

  @Field(() => [ServiceScope])
  scopes!: ServiceScope[];

  @Field({ description: 'False once revoked: it cannot sign in, and its tokens no longer work' })
  active!: boolean;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  revokedReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'Until when the secret before the last rotation still works' })
  previousSecretExpiresAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: 'How many operations its trusted documents allow; null: no allow-list (any operation its scopes allow)',
  })
  trustedDocumentCount!: number | null;

  @Field(() => Date, { nullable: true })
  trustedDocumentsSetAt!: Date | null;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: 'A partner app with its client secret: the only time the secret is shown' })
export class PartnerAppCredentials {
  @Field(() => PartnerApp)
  app!: PartnerApp;

  @Field({ description: 'The client id, as on the app' })
  clientId!: string;

  @Field({ description: 'The client secret, shown this once: stored only as a hash' })
  clientSecret!: string;
}

export const PartnerAppConnection = connectionOf('PartnerApp', PartnerApp);

@InputType()
export class RegisterPartnerAppInput {
  @Field({ description: `1 to ${PARTNER_APP_NAME_MAX} characters, not blank` })
  @IsString()
  @Length(1, PARTNER_APP_NAME_MAX, { message: `name must be 1 to ${PARTNER_APP_NAME_MAX} characters` })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => [ServiceScope], { description: 'What its tokens may do: at least one scope, none repeated' })
  @ArrayMinSize(1, { message: 'scopes must name at least one scope' })
  @ArrayMaxSize(Object.values(ServiceScope).length)
  @ArrayUnique({ message: 'scopes must not repeat a scope' })
  @IsEnum(ServiceScope, { each: true })
  scopes!: ServiceScope[];
}

@ArgsType()
export class PartnerAppIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a partner app id' })
  id!: string;
}

@ArgsType()
export class RotatePartnerAppSecretArgs extends PartnerAppIdArgs {
  @Field(() => Int, {
    nullable: true,
    description: `How long the previous secret keeps working, 0 to ${MAX_GRACE_MINUTES} minutes (default PARTNER_SECRET_GRACE_SECONDS, 24 h)`,
  })
  @IsOptional()
  @IsInt()
  @Min(0, { message: `graceMinutes must be between 0 and ${MAX_GRACE_MINUTES}` })
  @Max(MAX_GRACE_MINUTES, { message: `graceMinutes must be between 0 and ${MAX_GRACE_MINUTES}` })
  graceMinutes?: number;
}

@ArgsType()
export class RevokePartnerAppArgs extends PartnerAppIdArgs {
  @Field({ description: 'Why, for the record (1 to 500 characters)' })
  @IsString()
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}

@ArgsType()
export class SetTrustedDocumentsArgs extends PartnerAppIdArgs {
  @Field(() => JsonInputScalar, {
    description:
      'A manifest as `npx @apollo/generate-persisted-query-manifest` writes it: { format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }',
  })
  manifest!: unknown;
}
