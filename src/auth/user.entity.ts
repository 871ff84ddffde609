import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Role } from './role.js';

@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'createdAt' | 'role';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Always stored lower-cased; unique. */
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Property({ type: 'string', length: 100, hidden: true })
  passwordHash!: string;

  @Enum({ items: () => Role, nativeEnumName: 'user_role' })
  role: Role = Role.CUSTOMER;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
