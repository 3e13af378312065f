import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { createAgency, listAgencies, listDivisions } from './agency.service';
import { AgencyStatus } from './agency-status';
import { Agency, CreateAgencyInput, Division } from './agency.types';

@Resolver(() => Agency)
export class AgencyResolver {
  @Authorized(Permission.SIGNED_IN)
  @Query(() => [Agency])
  agencies(@Ctx() ctx: GraphQLContext) {
    return listAgencies(ctx);
  }

  @Authorized(Permission.MANAGE_AGENCIES)
  @Mutation(() => Agency, {
    description: 'OVERSIGHT ADMIN: register an agency, PENDING_APPROVAL until a different OVERSIGHT ADMIN approves its grant',
  })
  createAgency(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateAgencyInput) input: CreateAgencyInput) {
    return createAgency(ctx, input);
  }

  @FieldResolver(() => AgencyStatus, { description: 'PENDING_APPROVAL until a second OVERSIGHT administrator approves it' })
  async status(@Root() agency: Agency, @Ctx() ctx: GraphQLContext): Promise<AgencyStatus> {
    return agency.status ?? (await ctx.loaders.agencyStatus.load(agency.id)) ?? AgencyStatus.PENDING_APPROVAL;
  }

  @FieldResolver(() => [Division], { description: 'Divisions the agency works in; empty means force-wide' })
  divisions(@Root() agency: Agency, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.divisionsByAgency.load(agency.id);
  }
}

@Resolver(() => Division)
export class DivisionResolver {
  @Authorized(Permission.SIGNED_IN)
  @Query(() => [Division], { description: 'The GMP divisions, by name' })
  divisions(@Ctx() ctx: GraphQLContext) {
    return listDivisions(ctx);
  }
}
