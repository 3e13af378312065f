import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { prefetchedOf } from '../db/prefetched';
import { selectsPath } from '../graphql/selection';
import { IsUUID, ValidateNested } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { Agency, Division } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { HistoryEntry } from '../history/history.types';
import { withheld } from '../policy/fields';
import { Permission } from '../policy/permissions';
import { linkSubject } from '../subjects/subject.service';
import { LinkSubjectInput, ReportSubjectLink } from '../subjects/subject.types';
import {
  assessIntelligence,
  getReport,
  listIntelligence,
  searchIntelligence,
  submitIntelligence,
  submitIntelligenceBatch,
} from './intelligence.service';
import {
  AssessmentInput,
  Informant,
  IntelligenceListArgs,
  IntelligenceReport,
  IntelligenceReportConnection,
  IntelligenceSearchArgs,
  ReportIdArgs,
  SubmitIntelligenceBatchArgs,
  SubmitIntelligenceInput,
} from './intelligence.types';

@ArgsType()
class LinkSubjectArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'reportId must be an intelligence report id' })
  reportId!: string;

  @Field(() => LinkSubjectInput)
  @ValidateNested()
  input!: LinkSubjectInput;
}

@Resolver(() => IntelligenceReport)
export class IntelligenceResolver {
  @Authorized(Permission.READ_INTELLIGENCE)
  @Query(() => IntelligenceReport, { nullable: true, description: 'NOT_FOUND when missing or outside the caller’s scope' })
  intelligenceReport(@Ctx() ctx: GraphQLContext, @Args(() => ReportIdArgs) { id }: ReportIdArgs) {
    return getReport(ctx, id);
  }

  @Authorized(Permission.READ_INTELLIGENCE)
  @Query(() => IntelligenceReportConnection, { description: 'Newest first, within the caller’s scope' })
  intelligenceReports(
    @Ctx() ctx: GraphQLContext,
    @Args(() => IntelligenceListArgs) args: IntelligenceListArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    return listIntelligence(ctx, args, { subjectLinks: selectsPath(info, ['edges', 'node', 'subjects']) });
  }

  @Authorized(Permission.SEARCH_RECORDS)
  @Query(() => IntelligenceReportConnection, { description: 'Full-text search over narratives and locations, best match first' })
  searchIntelligence(@Ctx() ctx: GraphQLContext, @Args(() => IntelligenceSearchArgs) args: IntelligenceSearchArgs) {
    return searchIntelligence(ctx, args);
  }

  @Authorized(Permission.SUBMIT_INTELLIGENCE)
  @Mutation(() => IntelligenceReport)
  submitIntelligence(@Ctx() ctx: GraphQLContext, @Arg('input', () => SubmitIntelligenceInput) input: SubmitIntelligenceInput) {
    return submitIntelligence(ctx, input);
  }

  @Authorized(Permission.SUBMIT_INTELLIGENCE)
  @Mutation(() => [IntelligenceReport], {
    description: 'Many submissions in one transaction, all or none; the reports in the order of inputs',
  })
  submitIntelligenceBatch(@Ctx() ctx: GraphQLContext, @Args(() => SubmitIntelligenceBatchArgs) { inputs }: SubmitIntelligenceBatchArgs) {
    return submitIntelligenceBatch(ctx, inputs);
  }

  @Authorized(Permission.ASSESS_INTELLIGENCE)
  @Mutation(() => IntelligenceReport, { description: '3x5x2 grading and/or a status change' })
  assessIntelligence(
    @Ctx() ctx: GraphQLContext,
    @Args(() => ReportIdArgs) { id }: ReportIdArgs,
    @Arg('input', () => AssessmentInput) input: AssessmentInput,
  ) {
    return assessIntelligence(ctx, id, input);
  }

  @Authorized(Permission.LINK_SUBJECTS)
  @Mutation(() => IntelligenceReport, {
    description:
      'Link an existing subject or a new one. A new subject resembling existing ones is CONFLICT with extensions.possibleMatches.',
  })
  linkSubject(@Ctx() ctx: GraphQLContext, @Args(() => LinkSubjectArgs) { reportId, input }: LinkSubjectArgs) {
    return linkSubject(ctx, reportId, input);
  }

  @FieldResolver(() => Division, { nullable: true, description: 'Null: force-wide or unknown' })
  division(@Root() report: IntelligenceReport, @Ctx() ctx: GraphQLContext) {
    return report.divisionId ? ctx.loaders.divisionById.load(report.divisionId) : null;
  }

  @FieldResolver(() => Agency)
  submittedBy(@Root() report: IntelligenceReport, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.agencyById.load(report.submittedByAgencyId);
  }

  @FieldResolver(() => Informant, { nullable: true, description: 'Public tip-offs only; police SUPERVISOR only' })
  informant(@Root() report: IntelligenceReport, @Ctx() ctx: GraphQLContext) {
    return withheld(report, 'informant') ? null : ctx.loaders.informantByReport.load(report.id);
  }

  @FieldResolver(() => [ReportSubjectLink], { description: 'Linked subjects with their roles (police readers)' })
  subjects(@Root() report: IntelligenceReport, @Ctx() ctx: GraphQLContext) {
    if (withheld(report, 'subjects')) return [];
    return prefetchedOf<ReportSubjectLink[]>(report, 'subjects') ?? ctx.loaders.subjectLinksByReport.load(report.id);
  }

  @FieldResolver(() => [HistoryEntry], { description: 'Every change, oldest first (police readers)' })
  history(@Root() report: IntelligenceReport, @Ctx() ctx: GraphQLContext) {
    return withheld(report, 'history') ? [] : ctx.loaders.history.load(`intelligence_report:${report.id}`);
  }
}
