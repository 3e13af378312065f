import { IsBoolean, IsOptional, IsString, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { InvolvementKind, LawfulBasis } from './involvement.enums';

registerEnumType(InvolvementKind, {
  name: 'InvolvementKind',
  description: 'PUPIL_ON_ROLL (education), OPEN_CASE (social care), PATIENT (health), SUPPORTED (voluntary)',
});
registerEnumType(LawfulBasis, {
  name: 'LawfulBasis',
  description: 'The UK GDPR article 6 basis on which the agency holds the involvement',
});

const notBlank = (field: string) => Matches(/\S/, { message: `${field} must not be blank` });

@ObjectType({ description: 'An agency’s registered involvement with a subject; while active the subject is known to the agency' })
export class Involvement {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  subjectId!: string;

  /** Resolved by a field resolver (batched). */
  agencyId!: string;

  @Field(() => InvolvementKind)
  kind!: InvolvementKind;

  @Field(() => LawfulBasis)
  lawfulBasis!: LawfulBasis;

  @Field({ description: 'Who to contact at the agency about this subject' })
  contact!: string;

  @Field(() => ID)
  registeredByUserId!: string;

  @Field()
  registeredAt!: Date;

  @Field(() => Date, { nullable: true })
  endedAt!: Date | null;

  @Field(() => String, { nullable: true })
  endReason!: string | null;

  @Field({ description: 'Not ended' })
  active!: boolean;
}

export const InvolvementConnection = connectionOf('Involvement', Involvement);

@ObjectType({ description: 'An agency involved with a subject: its name and contact only, never what it holds' })
export class InvolvedAgency {
  @Field(() => Agency)
  agency!: Agency;

  @Field()
  contact!: string;
}

@InputType()
export class InvolvementInput {
  @Field(() => InvolvementKind, { description: 'Must fit the agency: a school registers PUPIL_ON_ROLL, social care OPEN_CASE, …' })
  kind!: InvolvementKind;

  @Field(() => LawfulBasis)
  lawfulBasis!: LawfulBasis;

  @Field({ description: 'Who to contact about this subject (name, team, phone): shown to agencies that may read the subject' })
  @IsString()
  @Length(1, 200)
  @notBlank('contact')
  contact!: string;

  @Field({
    nullable: true,
    description:
      'The identifier your kind of agency issues (school UPN, NHS number, social care id), matching the subject’s: needed when the subject is not yet known to your agency',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @notBlank('identifier')
  identifier?: string;
}

@ArgsType()
export class RegisterInvolvementArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId!: string;

  @Field(() => InvolvementInput)
  @ValidateNested()
  input!: InvolvementInput;
}

@ArgsType()
export class EndInvolvementArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an involvement id' })
  id!: string;

  @Field()
  @IsString()
  @Length(1, 2000)
  @notBlank('reason')
  reason!: string;
}

@InputType()
export class InvolvementFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID('all', { message: 'subjectId must be a subject id' })
  subjectId?: string;

  @Field({ nullable: true, description: 'true: not ended; false: ended' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

@ArgsType()
export class InvolvementListArgs extends PageArgs {
  @Field(() => InvolvementFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: InvolvementFilter;
}
