import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { SubjectCrimeLink } from '../crimes/crime.types';
import { Flag } from '../flags/flag.types';
import type { GraphQLContext } from '../graphql/context';
import { HistoryEntry } from '../history/history.types';
import { SubjectReportLink } from '../intelligence/intelligence.types';
import { withheld } from '../policy/fields';
import { Permission } from '../policy/permissions';
import { findPossibleMatches, getSubject, listSubjectsFor } from './subject.service';
import { InvolvedAgency } from '../involvements/involvement.types';
import { NewSubjectInput, Subject, SubjectConnection, SubjectIdArgs, SubjectListArgs, SubjectMatch } from './subject.types';

@Resolver(() => Subject)
export class SubjectResolver {
  @Authorized(Permission.READ_SUBJECTS)
  @Query(() => Subject, { nullable: true, description: 'NOT_FOUND when missing or outside the caller’s scope' })
  subject(@Ctx() ctx: GraphQLContext, @Args(() => SubjectIdArgs) { id }: SubjectIdArgs) {
    return getSubject(ctx, id);
  }

  @Authorized(Permission.READ_SUBJECTS)
  @Query(() => SubjectConnection, { description: 'Newest first; by likeness when filtering by name' })
  subjects(@Ctx() ctx: GraphQLContext, @Args(() => SubjectListArgs) args: SubjectListArgs) {
    return listSubjectsFor(ctx, args);
  }

  @Authorized(Permission.LINK_SUBJECTS)
  @Query(() => [SubjectMatch], { description: 'Existing subjects who may be this person, best first (check before linking a new subject)' })
  subjectMatches(@Ctx() ctx: GraphQLContext, @Arg('candidate', () => NewSubjectInput) candidate: NewSubjectInput) {
    return findPossibleMatches(ctx, candidate);
  }

  @FieldResolver(() => [Flag], { description: 'Flags in force (ACTIVE): not proposed, rejected or ended ones' })
  activeFlags(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.activeFlagsBySubject.load(subject.id);
  }

  @FieldResolver(() => [Flag], {
    description: 'Every flag ever set, newest first: for police readers proposed, rejected and ended ones too; for others those in force',
  })
  flags(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.flagsBySubject.load(subject.id);
  }

  @FieldResolver(() => [SubjectReportLink], { description: 'Reports the subject is linked to that the caller may read' })
  reports(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.reportLinksBySubject.load(subject.id);
  }

  @FieldResolver(() => [SubjectCrimeLink], { description: 'Crimes the subject is victim or suspect of (police readers)' })
  crimes(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return withheld(subject, 'crimes') ? [] : ctx.loaders.crimeLinksBySubject.load(subject.id);
  }

  @FieldResolver(() => [HistoryEntry], { description: 'Changes to the subject record, oldest first (police readers)' })
  history(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return withheld(subject, 'history') ? [] : ctx.loaders.history.load(`subject:${subject.id}`);
  }

  @FieldResolver(() => [InvolvedAgency], { description: 'Agencies actively involved with the subject: names and contacts only' })
  involvedAgencies(@Root() subject: Subject, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.involvedAgenciesBySubject.load(subject.id);
  }
}
