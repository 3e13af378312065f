import { IsString, IsUUID, Length, Matches } from 'class-validator';
import { ArgsType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { connectionOf } from '../graphql/pagination';
import { Role } from '../policy/roles';
import { GrantKind, GrantStatus } from './grant.enums';

registerEnumType(GrantKind, { name: 'GrantKind', description: 'AGENCY admits a new agency; ROLES brings privileged roles into force' });
registerEnumType(GrantStatus, { name: 'GrantStatus' });

@ObjectType({ description: 'A requested change of who may do what, in force only once a second administrator approves it' })
export class Grant {
  @Field(() => ID)
  id!: string;

  @Field(() => GrantKind)
  kind!: GrantKind;

  @Field(() => GrantStatus)
  status!: GrantStatus;

  @Field(() => Agency, { nullable: true, description: 'The agency admitted (AGENCY) or the user’s agency (ROLES)' })
  agency!: Agency | null;

  @Field(() => ID, { nullable: true, description: 'The user whose roles these are (ROLES)' })
  userId!: string | null;

  @Field(() => [Role], { description: 'The roles requested (empty for AGENCY)' })
  roles!: Role[];

  @Field(() => ID)
  requestedById!: string;

  @Field()
  requestedAt!: Date;

  @Field(() => ID, { nullable: true })
  decidedById!: string | null;

  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was rejected' })
  reason!: string | null;

  @Field({ description: 'Whether the caller may approve or reject it now (never its requester)' })
  canDecide!: boolean;
}

export const GrantConnection = connectionOf('Grant', Grant);

@ArgsType()
export class GrantIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a grant id' })
  id!: string;
}

@ArgsType()
export class RejectGrantArgs extends GrantIdArgs {
  @Field({ description: 'Why: recorded with the grant and shown to its requester' })
  @IsString()
  @Length(1, 2000, { message: 'reason must be 1 to 2000 characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
