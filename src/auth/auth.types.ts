import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Role } from './role.js';
import type { User } from './user.entity.js';

registerEnumType(Role, { name: 'Role' });

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field()
  createdAt!: Date;

  static from(user: User): UserType {
    return Object.assign(new UserType(), {
      id: user.id,
      email: user.email,
      role: user.role,
      createdAt: user.createdAt,
    });
  }
}

@ObjectType()
export class AuthPayload {
  @Field({ description: 'A short-lived JWT: send it as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @Field({ description: 'Single use: exchange it with `refreshToken` for a new pair.' })
  refreshToken!: string;

  @Field({ description: 'When the access token expires.' })
  expiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}

@InputType()
export class RegisterInput {
  @Field()
  email!: string;

  @Field({ description: '8 to 72 bytes.' })
  password!: string;
}

@InputType()
export class LoginInput {
  @Field()
  email!: string;

  @Field()
  password!: string;
}
