import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Hashes a password or client secret with argon2id and the configured cost. */
export function hashSecret(plain: string, params: Argon2Params): Promise<string> {
  return argon2.hash(plain, { type: argon2.argon2id, ...params });
}

/** True when `plain` matches `hash`; a malformed hash counts as no match. */
export async function verifySecret(hash: string, plain: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, plain);
  } catch {
    return false;
  }
}

/**
 * True when a stored hash was made with other cost parameters than those configured now (the
 * operator raised ARGON2_*): the next successful sign-in re-hashes it, so old hashes do not stay weak.
 */
export function needsRehash(hash: string, params: Argon2Params): boolean {
  try {
    return argon2.needsRehash(hash, params);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification when the account does not exist, so response
 * time does not tell an attacker which emails or client ids are registered.
 */
export async function verifyAgainstDummy(plain: string, params: Argon2Params): Promise<false> {
  dummyHash ??= hashSecret('safeshare-timing-equaliser', params);
  await verifySecret(await dummyHash, plain);
  return false;
}
