import { IsString, Length, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../users/password-policy';
import { ArgsType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { Role } from '../policy/roles';
import { ServiceScope } from '../users/service-account.entity';

export enum PrincipalKindEnum {
  USER = 'USER',
  SERVICE = 'SERVICE',
}
registerEnumType(PrincipalKindEnum, { name: 'PrincipalKind', description: "A person, or a partner app's service account" });

@ObjectType({
  description: 'The second step of a sign-in: send `challenge` with a TOTP code (or a recovery code) to completeSecondFactor',
})
export class SecondFactorChallenge {
  @Field({ description: 'Single use, valid for five minutes' })
  challenge!: string;

  @Field()
  expiresAt!: Date;
}

@ObjectType({
  description:
    'Tokens from a sign-in or refresh. Send the access token as `Authorization: Bearer <token>`. When `secondFactorRequired`, `login` returned no tokens yet: send `secondFactor.challenge` with a code to completeSecondFactor.',
})
export class AuthPayload {
  @Field(() => String, { nullable: true, description: 'Null only while `secondFactorRequired`' })
  accessToken!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Single use: each refresh returns a new one. Null for service accounts, which ask again with their secret.',
  })
  refreshToken!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the access token expires; null only while `secondFactorRequired`' })
  expiresAt!: Date | null;

  @Field({ description: 'Always "Bearer"' })
  tokenType!: string;

  @Field({ description: 'True when the password was right and the account has a TOTP second factor: no tokens yet' })
  secondFactorRequired!: boolean;

  @Field(() => SecondFactorChallenge, { nullable: true, description: 'Set when `secondFactorRequired`' })
  secondFactor!: SecondFactorChallenge | null;
}

@ObjectType('Principal', { description: 'The caller: who they are, for which agency, with which roles' })
export class PrincipalType {
  @Field(() => ID)
  id!: string;

  @Field(() => PrincipalKindEnum)
  kind!: PrincipalKindEnum;

  @Field()
  displayName!: string;

  @Field(() => Agency)
  agency!: Agency;

  @Field(() => [Role], { description: 'Empty for service accounts' })
  roles!: Role[];

  @Field(() => [ServiceScope], { description: 'Empty for users' })
  scopes!: ServiceScope[];

  @Field({ description: 'A person with an active TOTP second factor' })
  secondFactor!: boolean;

  @Field({
    description: "True when the caller's roles require a second factor they have not enrolled: until they do, only enrolling is allowed",
  })
  secondFactorRequired!: boolean;
}

/** Credentials are bounded so an oversized value is refused before any hashing work. */
@ArgsType()
export class LoginArgs {
  @Field()
  @IsString()
  @MaxLength(254)
  email!: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

@ArgsType()
export class RefreshArgs {
  @Field()
  @IsString()
  @MaxLength(4096)
  refreshToken!: string;
}

@ArgsType()
export class ServiceTokenArgs {
  @Field()
  @IsString()
  @MaxLength(200)
  clientId!: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  clientSecret!: string;
}

@ArgsType()
export class ExchangeTokenArgs {
  @Field({ description: "An ID or access token from the caller's agency identity provider (a trusted issuer)" })
  @IsString()
  @MinLength(1)
  @MaxLength(16_384)
  idToken!: string;
}

@ObjectType({
  description: 'A sign-in step: `tokens` when signed in, or `secondFactor` when a TOTP code (or a recovery code) is still needed',
})
export class SignInResult {
  @Field(() => AuthPayload, { nullable: true })
  tokens!: AuthPayload | null;

  @Field(() => SecondFactorChallenge, { nullable: true })
  secondFactor!: SecondFactorChallenge | null;
}

@ArgsType()
export class CompletePasswordResetArgs {
  @Field({ description: 'The reset token the administrator was given (resetUserPassword)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  resetToken!: string;

  @Field({ description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters, under the password policy (as createUser)` })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `newPassword must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
  })
  newPassword!: string;
}
