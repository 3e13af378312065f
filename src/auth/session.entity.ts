import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ServiceAccountEntity } from '../users/service-account.entity';
import { UserEntity } from '../users/user.entity';

/**
 * One sign-in: every access and refresh token carries its id (`sid`), so revoking the session
 * (logout, reuse of a rotated refresh token, a disabled account) stops all of them at once.
 */
@Check('CHK_auth_sessions_one_principal', 'num_nonnulls(user_id, service_account_id) = 1')
@Entity('auth_sessions')
export class AuthSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Index()
  @Column({ type: 'uuid', nullable: true })
  serviceAccountId!: string | null;

  @ManyToOne(() => ServiceAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'service_account_id' })
  serviceAccount?: ServiceAccountEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  revokedReason!: string | null;
}
