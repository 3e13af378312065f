import { IsOptional, IsString, Length, MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'A TOTP enrolment started: add the secret to an authenticator app (or scan the URI as a QR code), then confirmTotp with its first code. Shown this once.',
})
export class TotpEnrolment {
  @Field({ description: 'The shared secret, base32 (RFC 4648), for typing into an authenticator app' })
  secret!: string;

  @Field({ description: 'The otpauth:// URI (Key Uri Format) to show as a QR code' })
  otpauthUri!: string;

  @Field({ description: 'Confirm before this, or start again' })
  expiresAt!: Date;
}

@ObjectType({ description: 'A confirmed second factor: the one-time recovery codes, shown this once' })
export class TotpConfirmation {
  @Field(() => [String], { description: 'Each signs in once in place of a code (completeSecondFactor recoveryCode). Keep them safe.' })
  recoveryCodes!: string[];
}

/** A code typed by a person: a TOTP code (six digits) or a recovery code; bounded before any work. */
const CODE_LENGTH = { min: 6, max: 32 };

@ArgsType()
export class EnrolTotpArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Needed only to replace an active second factor: a current code from it (or a recovery code)',
  })
  @IsOptional()
  @IsString()
  @Length(CODE_LENGTH.min, CODE_LENGTH.max)
  code?: string | null;
}

@ArgsType()
export class TotpCodeArgs {
  @Field({ description: 'The six digits the authenticator app shows' })
  @IsString()
  @Length(CODE_LENGTH.min, CODE_LENGTH.max)
  code!: string;
}

@ArgsType()
export class DisableTotpArgs {
  @Field({ description: 'A current code (or a recovery code)' })
  @IsString()
  @Length(CODE_LENGTH.min, CODE_LENGTH.max)
  code!: string;
}

@ArgsType()
export class CompleteSecondFactorArgs {
  @Field({ description: 'The challenge login returned (AuthPayload.secondFactor.challenge)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  challenge!: string;

  @Field(() => String, { nullable: true, description: 'The six digits the authenticator app shows; or give recoveryCode' })
  @IsOptional()
  @IsString()
  @Length(CODE_LENGTH.min, CODE_LENGTH.max)
  code?: string | null;

  @Field(() => String, { nullable: true, description: 'One of the recovery codes from confirmTotp, in place of a code; works once' })
  @IsOptional()
  @IsString()
  @Length(CODE_LENGTH.min, CODE_LENGTH.max)
  recoveryCode?: string | null;
}
