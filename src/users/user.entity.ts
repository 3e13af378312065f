import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { Role } from '../policy/roles';

@Check('CHK_users_email_normalised', `email = lower(btrim(email)) AND email LIKE '%_@_%'`)
// A user holds a role, in force or awaiting approval, unless disabled (a rejected grant can leave none).
@Check('CHK_users_has_role', 'cardinality(roles) + cardinality(pending_roles) > 0 OR disabled_at IS NOT NULL')
@Check('CHK_users_pending_roles_apart', 'NOT (roles && pending_roles)')
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  agencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agency_id' })
  agency?: AgencyEntity;

  /** Stored lower-cased (a check constraint holds it), so the unique index is case-insensitive. */
  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  passwordHash!: string;

  @Column({ type: 'enum', enum: Role, enumName: 'role', array: true })
  roles!: Role[];

  /** Roles requested for the user and awaiting a second administrator (a pending grant): not in force. */
  @Column({ type: 'enum', enum: Role, enumName: 'role', array: true, default: '{}' })
  pendingRoles!: Role[];

  @Column({ type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  /** Set by an administrator's password reset: no sign-in, and no token works, until a new password is set. */
  @Column({ type: 'boolean', default: false })
  mustChangePassword!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
