import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsEmail,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { connectionOf } from '../graphql/pagination';
import { Role } from '../policy/roles';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';
import { ServiceScope } from './service-account.entity';

registerEnumType(Role, { name: 'Role' });
registerEnumType(ServiceScope, { name: 'ServiceScope', description: "What a partner app's token may do" });

@ObjectType({ description: 'A person who signs in to Safeshare on behalf of one agency' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field()
  displayName!: string;

  @Field(() => Agency)
  agency!: Agency;

  @Field(() => [Role], { description: 'Roles in force' })
  roles!: Role[];

  @Field(() => [Role], { description: 'Privileged roles requested and awaiting a second administrator’s approval: not in force' })
  pendingRoles!: Role[];

  @Field({ description: 'A disabled user cannot sign in and their tokens no longer work' })
  disabled!: boolean;

  @Field({ description: 'An administrator reset their password: they cannot sign in until they set a new one with the reset token' })
  mustChangePassword!: boolean;

  @Field()
  createdAt!: Date;
}

@InputType()
export class CreateUserInput {
  @Field()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @Field()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  displayName!: string;

  @Field({
    description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; not a common password, nor containing the user's email or name`,
  })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
  })
  password!: string;

  @Field(() => [Role])
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @ArrayUnique()
  roles!: Role[];

  @Field(() => ID, {
    nullable: true,
    description: "Defaults to the caller's agency. An OVERSIGHT ADMIN may name another agency to create its first ADMIN.",
  })
  @IsOptional()
  @IsUUID('all', { message: 'agencyId must be an agency id' })
  agencyId?: string;
}

@ArgsType()
export class UserIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a user id' })
  id!: string;
}

export const UserConnection = connectionOf('User', User);

@ArgsType()
export class ChangeUserRolesArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'userId must be a user id' })
  userId!: string;

  @Field(() => [Role], { description: 'The roles the user should hold: privileged ones added wait for a second administrator' })
  @ArrayMinSize(1, { message: 'roles must name at least one role' })
  @ArrayMaxSize(8)
  @ArrayUnique({ message: 'roles must not repeat a role' })
  roles!: Role[];
}

@ArgsType()
export class UserIdOnlyArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'userId must be a user id' })
  userId!: string;
}

@ObjectType({ description: 'A password reset: the token is shown this once; give it to the user by a safe channel' })
export class PasswordResetIssued {
  @Field(() => User)
  user!: User;

  @Field({ description: 'Single use; the user sets a new password with it (completePasswordReset)' })
  resetToken!: string;

  @Field()
  expiresAt!: Date;
}
