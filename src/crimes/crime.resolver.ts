import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Division } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { Subject } from '../subjects/subject.types';
import { CrimeRole } from './crime.enums';
import { getCrime, listCrimes, recordCrime } from './crime.service';
import { Crime, CrimeConnection, CrimeIdArgs, CrimeListArgs, RecordCrimeInput } from './crime.types';

@Resolver(() => Crime)
export class CrimeResolver {
  @Authorized(Permission.READ_CRIMES)
  @Query(() => Crime, { nullable: true, description: 'NOT_FOUND when missing or outside the caller’s scope' })
  crime(@Ctx() ctx: GraphQLContext, @Args(() => CrimeIdArgs) { id }: CrimeIdArgs) {
    return getCrime(ctx, id);
  }

  @Authorized(Permission.READ_CRIMES)
  @Query(() => CrimeConnection, { description: 'Most recently recorded first' })
  crimes(@Ctx() ctx: GraphQLContext, @Args(() => CrimeListArgs) args: CrimeListArgs) {
    return listCrimes(ctx, args);
  }

  @Authorized(Permission.RECORD_CRIMES)
  @Mutation(() => Crime)
  recordCrime(@Ctx() ctx: GraphQLContext, @Arg('input', () => RecordCrimeInput) input: RecordCrimeInput) {
    return recordCrime(ctx, input);
  }

  @FieldResolver(() => Division, { nullable: true })
  division(@Root() crime: Crime, @Ctx() ctx: GraphQLContext) {
    return crime.divisionId ? ctx.loaders.divisionById.load(crime.divisionId) : null;
  }

  @FieldResolver(() => [Subject])
  async victims(@Root() crime: Crime, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.peopleByCrime.load(crime.id)).filter((p) => p.role === CrimeRole.VICTIM).map((p) => p.subject);
  }

  @FieldResolver(() => [Subject])
  async suspects(@Root() crime: Crime, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.peopleByCrime.load(crime.id)).filter((p) => p.role === CrimeRole.SUSPECT).map((p) => p.subject);
  }
}
