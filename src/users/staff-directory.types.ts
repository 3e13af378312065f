import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { PrincipalKindEnum } from '../auth/auth.types';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { Role } from '../policy/roles';

@ObjectType({ description: 'A person or partner app as the staff directory shows them: a name, never an email or case content' })
export class StaffMember {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'A person’s name, or a partner app’s' })
  displayName!: string;

  @Field(() => Agency)
  agency!: Agency;

  @Field(() => [Role], { description: 'Roles in force (none for a partner app)' })
  roles!: Role[];

  @Field()
  enabled!: boolean;

  @Field(() => PrincipalKindEnum)
  kind!: 'USER' | 'SERVICE';
}

export const StaffMemberConnection = connectionOf('StaffMember', StaffMember);

@ArgsType()
export class StaffDirectoryArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only this agency’s (an agency outside your scope gives an empty list)' })
  @IsOptional()
  @IsUUID('all', { message: 'agencyId must be an agency id' })
  agencyId?: string;

  @Field(() => String, { nullable: true, description: 'Part of the name, any case' })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'search must be 1 to 200 characters' })
  search?: string;
}
