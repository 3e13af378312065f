import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { staffDirectory } from './staff-directory.service';
import { StaffDirectoryArgs, StaffMemberConnection } from './staff-directory.types';

@Resolver()
export class StaffDirectoryResolver {
  @Authorized(Permission.READ_STAFF_DIRECTORY)
  @Query(() => StaffMemberConnection, {
    description: 'People and partner apps by name: an OVERSIGHT auditor every agency’s, an agency’s AUDITOR or ADMIN its own',
  })
  staffDirectory(@Ctx() ctx: GraphQLContext, @Args(() => StaffDirectoryArgs) args: StaffDirectoryArgs) {
    return staffDirectory(ctx, args);
  }
}
