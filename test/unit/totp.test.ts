import { randomBytes } from 'node:crypto';
import {
  hashOneTimeSecret,
  looksLikeTotp,
  matchTotp,
  newRecoveryCode,
  newTotpSecret,
  normaliseRecoveryCode,
  TOTP_STEP_SECONDS,
  totpCode,
  totpStep,
  totpUri,
} from '../../src/auth/totp';
import { openTotpSecret, sealTotpSecret } from '../../src/auth/totp-secret-box';

describe('TOTP (RFC 6238)', () => {
  it('makes 32-character base32 secrets and an otpauth URI naming the issuer and the account', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, 'lead@example.test', 'Safeshare'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Safeshare:lead@example.test');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Safeshare');
  });

  it('gives the RFC 6238 SHA-1 test vector (last six digits)', () => {
    // RFC 6238 appendix B: key "12345678901234567890", T = 59 s gives 94287082 (8 digits).
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of the key
    expect(totpCode(secret, 59_000)).toBe('287082');
    expect(matchTotp(secret, '287082', 59_000)).toBe(1);
  });

  it('accepts a code one step either side of now and names the step it was for', () => {
    const secret = newTotpSecret();
    const now = 1_800_000_000_000;
    const code = totpCode(secret, now);
    expect(matchTotp(secret, code, now)).toBe(totpStep(now));
    expect(matchTotp(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, now)).toBe(totpStep(now));
    expect(matchTotp(secret, code, now + TOTP_STEP_SECONDS * 1000)).toBe(totpStep(now));
    expect(matchTotp(secret, code, now - TOTP_STEP_SECONDS * 1000)).toBe(totpStep(now));
    expect(matchTotp(secret, code, now + 3 * TOTP_STEP_SECONDS * 1000)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now)).toBeNull();
    expect(matchTotp(secret, '1234567', now)).toBeNull();
    expect(looksLikeTotp('123 456')).toBe(true);
    expect(looksLikeTotp('ABCD-EFGH-JKLM-NPQR')).toBe(false);
  });

  it('makes recovery codes of 80 random bits, read back in any case with or without dashes', () => {
    const codes = new Set(Array.from({ length: 200 }, newRecoveryCode));
    expect(codes.size).toBe(200);
    for (const code of codes) {
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/);
      const plain = code.replace(/-/g, '');
      expect(normaliseRecoveryCode(code)).toBe(plain);
      expect(normaliseRecoveryCode(` ${code.toLowerCase().replace(/-/g, ' ')} `)).toBe(plain);
    }
    expect(normaliseRecoveryCode('ABCD-EFGH-IJKL-MNOP')).toBeNull(); // I and O are not in the alphabet
    expect(normaliseRecoveryCode('123456')).toBeNull();
    expect(hashOneTimeSecret('ABCD')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('TOTP secrets at rest', () => {
  const key = randomBytes(32);

  it('are sealed with the key, bound to their user, and read back; without a key they are stored as given', () => {
    const secret = newTotpSecret();
    const sealed = sealTotpSecret(secret, 'user-1', key);
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]{80}$/);
    expect(sealed).not.toContain(secret);
    expect(sealTotpSecret(secret, 'user-1', key)).not.toBe(sealed); // a fresh IV each time
    expect(openTotpSecret(sealed, 'user-1', key)).toBe(secret);
    expect(() => openTotpSecret(sealed, 'user-2', key)).toThrow();
    expect(() => openTotpSecret(sealed, 'user-1', randomBytes(32))).toThrow();
    expect(() => openTotpSecret(sealed, 'user-1', undefined)).toThrow(/TOTP_ENCRYPTION_KEY/);
    expect(sealTotpSecret(secret, 'user-1', undefined)).toBe(secret);
    expect(openTotpSecret(secret, 'user-1', key)).toBe(secret);
  });
});
