import { ArrayMaxSize, ArrayUnique, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { AgencyKind } from './agency-kind';
import { AgencyStatus } from './agency-status';

registerEnumType(AgencyStatus, {
  name: 'AgencyStatus',
  description: 'PENDING_APPROVAL until a second OVERSIGHT administrator approves it: its users cannot sign in',
});
registerEnumType(AgencyKind, { name: 'AgencyKind', description: 'The kind of agency (drives which roles its users may hold)' });

@ObjectType({ description: 'A Greater Manchester Police division' })
export class Division {
  @Field(() => ID, { description: 'Stable slug, e.g. "rochdale"' })
  id!: string;

  @Field()
  name!: string;
}

@ObjectType({ description: 'An agency that shares through Safeshare' })
export class Agency {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => AgencyKind)
  kind!: AgencyKind;

  /** When known already (e.g. read with the agency); otherwise `Agency.status` loads it. */
  status?: AgencyStatus;
}

@InputType()
export class CreateAgencyInput {
  @Field()
  @IsString()
  @Length(2, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @Field(() => AgencyKind)
  kind!: AgencyKind;

  @Field(() => [ID], { nullable: true, description: 'Divisions the agency works in; none means force-wide' })
  @IsOptional()
  @ArrayUnique()
  @ArrayMaxSize(11)
  @IsString({ each: true })
  divisionIds?: string[];
}
