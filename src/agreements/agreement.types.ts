import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { LegalGateway } from '../disclosures/disclosure.enums';
import { connectionOf, PageArgs } from '../graphql/pagination';
import { DateScalar } from '../graphql/scalars';
import { AgreementStatus, SharedDataCategory } from './agreement.enums';

registerEnumType(AgreementStatus, {
  name: 'AgreementStatus',
  description: 'DRAFT until it starts (ACTIVE); SUSPENDED or ENDED after. Only an ACTIVE agreement in force covers a disclosure.',
});
registerEnumType(SharedDataCategory, {
  name: 'SharedDataCategory',
  description: 'A kind of information an agreement lets its parties share',
});

const notBlank = (field: string) => Matches(/\S/, { message: `${field} must not be blank` });

@ObjectType({
  description:
    'An information-sharing agreement of the register (the ICO data sharing code): who shares what, why, under which legal gateways and conditions, from when, until when, and when it is next reviewed.',
})
export class InformationSharingAgreement {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The register’s reference, e.g. ISA-GM-2024-01' })
  reference!: string;

  @Field()
  title!: string;

  @Field()
  purpose!: string;

  @Field(() => [LegalGateway], { description: 'The legal gateways disclosures under it may use' })
  gateways!: LegalGateway[];

  @Field(() => [SharedDataCategory])
  dataCategories!: SharedDataCategory[];

  @Field(() => String, { nullable: true, description: 'Conditions every share under it carries' })
  conditions!: string | null;

  @Field(() => DateScalar)
  startsOn!: string;

  @Field(() => DateScalar, { description: 'When its parties next review it' })
  reviewOn!: string;

  @Field(() => DateScalar, { nullable: true })
  endsOn!: string | null;

  @Field(() => AgreementStatus)
  status!: AgreementStatus;

  @Field(() => String, { nullable: true, description: 'Why its status last changed' })
  statusReason!: string | null;

  @Field({ description: 'In force (ACTIVE or SUSPENDED) and its review date has come' })
  dueForReview!: boolean;

  @Field()
  registeredAt!: Date;

  @Field()
  updatedAt!: Date;

  /** Resolved by a field resolver (batched). */
  partyAgencyIds!: string[];
}

export const InformationSharingAgreementConnection = connectionOf('InformationSharingAgreement', InformationSharingAgreement);

@InputType()
export class AgreementFilter {
  @Field(() => AgreementStatus, { nullable: true })
  @IsOptional()
  @IsEnum(AgreementStatus)
  status?: AgreementStatus;

  @Field(() => Boolean, { nullable: true, description: 'true: only those in force whose review date has come; false: all others' })
  @IsOptional()
  @IsBoolean()
  dueForReview?: boolean;

  @Field(() => ID, { nullable: true, description: 'Only agreements this agency is a party to' })
  @IsOptional()
  @IsUUID('all', { message: 'partyAgencyId must be an agency id' })
  partyAgencyId?: string;
}

@ArgsType()
export class AgreementListArgs extends PageArgs {
  @Field(() => AgreementFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AgreementFilter;
}

@InputType()
export class AgreementInput {
  @Field({ description: 'Unique in the register: capitals, digits and hyphens, 2 to 40' })
  @IsString()
  @Matches(/^[A-Z0-9][A-Z0-9-]{1,39}$/, { message: 'reference must be 2 to 40 capitals, digits and hyphens' })
  reference!: string;

  @Field()
  @IsString()
  @Length(1, 200)
  @notBlank('title')
  title!: string;

  @Field()
  @IsString()
  @Length(1, 2000)
  @notBlank('purpose')
  purpose!: string;

  @Field(() => [ID], { description: 'The agencies that are parties (at least two)' })
  @ArrayMinSize(2, { message: 'an agreement has at least two parties' })
  @ArrayMaxSize(50)
  @ArrayUnique({ message: 'partyAgencyIds must not repeat' })
  @IsUUID('all', { each: true, message: 'partyAgencyIds must be agency ids' })
  partyAgencyIds!: string[];

  @Field(() => [LegalGateway])
  @ArrayMinSize(1, { message: 'name at least one legal gateway' })
  @ArrayUnique({ message: 'gateways must not repeat' })
  @IsEnum(LegalGateway, { each: true })
  gateways!: LegalGateway[];

  @Field(() => [SharedDataCategory])
  @ArrayMinSize(1, { message: 'name at least one data category' })
  @ArrayUnique({ message: 'dataCategories must not repeat' })
  @IsEnum(SharedDataCategory, { each: true })
  dataCategories!: SharedDataCategory[];

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 4000)
  @notBlank('conditions')
  conditions?: string;

  @Field(() => DateScalar)
  startsOn!: string;

  @Field(() => DateScalar, { description: 'On or after startsOn' })
  reviewOn!: string;

  @Field(() => DateScalar, { nullable: true, description: 'On or after startsOn' })
  @IsOptional()
  endsOn?: string;

  @Field(() => AgreementStatus, { defaultValue: AgreementStatus.DRAFT, description: 'DRAFT (the default) or ACTIVE' })
  @IsEnum(AgreementStatus)
  status!: AgreementStatus;
}

@ArgsType()
export class RegisterAgreementArgs {
  @Field(() => AgreementInput)
  @ValidateNested()
  input!: AgreementInput;
}

@ArgsType()
export class ChangeAgreementStatusArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an agreement id' })
  id!: string;

  @Field(() => AgreementStatus)
  @IsEnum(AgreementStatus)
  status!: AgreementStatus;

  @Field()
  @IsString()
  @Length(1, 2000)
  @notBlank('reason')
  reason!: string;
}

@ArgsType()
export class ReviewAgreementArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be an agreement id' })
  id!: string;

  @Field(() => DateScalar, { description: 'The next review date: after today' })
  nextReviewOn!: string;

  @Field({ description: 'What the review found' })
  @IsString()
  @Length(1, 2000)
  @notBlank('note')
  note!: string;
}
