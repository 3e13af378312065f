import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Failed sign-ins per email or client id, whether or not such an account exists: an unknown email
 * is throttled exactly like a known one, so the lock-out says nothing about who is registered.
 * Keyed by a hash, so addresses typed by mistake (or passwords typed into the email field) are not kept.
 */
@Check('CHK_sign_in_throttles_failures', 'failures > 0')
@Check('CHK_sign_in_throttles_refused', 'refused_while_locked >= 0')
@Entity('sign_in_throttles')
export class SignInThrottleEntity {
  /** `user:` or `service:`, then the SHA-256 of the normalised email or client id (hex). */
  @PrimaryColumn({ type: 'text' })
  accountKey!: string;

  @Column({ type: 'integer' })
  failures!: number;

  @Index()
  @Column({ type: 'timestamptz' })
  lastFailedAt!: Date;

  /** Sign-ins are refused, without checking the password, until then. */
  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  /** Attempts refused during the current lock: the audit trail records them at 1, 2, 4, 8, ... */
  @Column({ type: 'integer', default: 0 })
  refusedWhileLocked!: number;
}
