import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireViewer, type GraphQLContext } from '../graphql/context.js';
import { AuthPayload, LoginInput, RegisterInput, UserType } from './auth.types.js';
import type { Session } from './auth.service.js';

function toPayload(session: Session): AuthPayload {
  return Object.assign(new AuthPayload(), {
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    expiresAt: session.expiresAt,
    user: UserType.from(session.user),
  });
}

@Resolver()
export class AuthResolver {
  @Query(() => UserType, { description: 'The authenticated caller.' })
  async me(@Ctx() ctx: GraphQLContext): Promise<UserType> {
    const viewer = requireViewer(ctx);
    return UserType.from(await ctx.services.auth.getUser(viewer.userId));
  }

  @Mutation(() => AuthPayload)
  async register(
    @Arg('input', () => RegisterInput) input: RegisterInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuthPayload> {
    return toPayload(await ctx.services.auth.register(input.email, input.password));
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: GraphQLContext): Promise<AuthPayload> {
    return toPayload(await ctx.services.auth.login(input.email, input.password));
  }

  @Mutation(() => AuthPayload, { description: 'Rotates: the token given is spent and a new pair comes back.' })
  async refreshToken(@Arg('token', () => String) token: string, @Ctx() ctx: GraphQLContext): Promise<AuthPayload> {
    return toPayload(await ctx.services.auth.refresh(token));
  }
}
