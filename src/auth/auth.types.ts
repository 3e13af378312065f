import { IsString, MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { Role } from '../policy/roles';
import { ServiceScope } from '../users/service-account.entity';

export enum PrincipalKindEnum {
  USER = 'USER',
  SERVICE = 'SERVICE',
}
registerEnumType(PrincipalKindEnum, { name: 'PrincipalKind', description: "A person, or a partner app's service account" });

@ObjectType({ description: 'Tokens from a sign-in or refresh. Send the access token as `Authorization: Bearer <token>`.' })
export class AuthPayload {
  @Field()
  accessToken!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Single use: each refresh returns a new one. Null for service accounts, which ask again with their secret.',
  })
  refreshToken!: string | null;

  @Field({ description: 'When the access token expires' })
  expiresAt!: Date;

  @Field({ description: 'Always "Bearer"' })
  tokenType!: string;
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
