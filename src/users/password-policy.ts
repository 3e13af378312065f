/**
 * Password policy (NCSC / NIST SP 800-63B): long rather than complex, 12 to 128 characters (the
 * upper bound keeps argon2 work per attempt bounded), and not guessable: not a commonly used
 * password or one with a trivial pattern, and not built from the user's own email, name or this
 * service's name. No composition rules and no expiry, which make passwords weaker in practice.
 */

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Words at the heart of the most common passwords (from published breach-corpus top lists),
 * lower-case. A password that is one of these padded with digits and symbols is refused.
 */
const COMMON_WORDS = new Set(
  `password passw0rd p4ssw0rd pass passwd qwerty qwertyuiop qwertyui asdfgh asdfghjkl zxcvbnm zxcvbn
  azerty letmein welcome welcomeback admin administrator root login iloveyou loveyou lovely monkey dragon
  football baseball basketball soccer hockey sunshine princess shadow master superman batman
  michael jennifer jordan charlie thomas hunter ranger buster trustno1 trustno freedom whatever
  starwars pokemon computer internet secret changeme default summer winter spring autumn
  january february march april june july august september october november december
  monday tuesday friday sunday hello hellothere abc abcdef abcdefg abcdefgh abcdefghijkl
  test testing tester guest user username qazwsx qazwsxedc qweasd qweasdzxc onetwothree
  manchester liverpool arsenal chelsea england london police safeguarding`.split(/\s+/),
);

/** Whole passwords of 12+ characters seen most often in breaches (compared lower-case). */
const COMMON_PASSWORDS = new Set(
  `123456789012 1234567890123 12345678901234 123456789123 1234567891011 111111111111 000000000000
  123123123123 121212121212 112233445566 qwertyuiopasdfghjkl qwertyuiop123 1q2w3e4r5t6y 1qaz2wsx3edc
  1q2w3e4r5t6y7u qazwsxedcrfv zaq12wsxcde3 passwordpassword password1234 password12345 password123456
  iloveyou1234 iloveyouforever letmein12345 welcome12345 administrator correcthorsebatterystaple
  trustno1trustno1 abcdefghijkl abcd1234abcd 1234abcd1234 aaaaaaaaaaaa baseball1234 football1234
  sunshine1234 princess1234 superman1234 starwars1234 changeme1234 qwerty123456 asdfghjkl123`.split(/\s+/),
);

/** Fewer distinct characters than this is a repetition ("abababababab", "111111222222"). */
const MIN_DISTINCT_CHARACTERS = 5;

export interface PasswordContext {
  email: string;
  displayName: string;
}

/** Why this password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext): string | null {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    return `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;
  }
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'password is too common';
  // "Password123!", "Summer2024!!!" and "P4ssw0rd2024" are a common word dressed up with digits and symbols.
  const letters = lower.replace(/[^a-z]/g, '');
  const core = lower.replace(/^[^a-z]+/, '').replace(/[^a-z]+$/, '');
  if ([letters, core, deLeet(core)].some((word) => COMMON_WORDS.has(word))) return 'password is too common';
  if (new Set(lower).size < MIN_DISTINCT_CHARACTERS) return 'password repeats too few characters';
  if (isSequence(lower)) return 'password is a simple sequence';
  for (const word of personalWords(context)) {
    if (lower.includes(word)) return 'password must not contain your email address or name';
  }
  if (lower.includes('safeshare')) return 'password must not contain the name of this service';
  return null;
}

/** Undoes common letter-for-digit swaps, so "p4ssw0rd" reads as "password". */
function deLeet(text: string): string {
  return text.replace(
    /[40@3$51!7]/g,
    (c) => ({ '4': 'a', '@': 'a', '0': 'o', '3': 'e', $: 's', '5': 's', '1': 'l', '!': 'i', '7': 't' })[c] ?? c,
  );
}

/** Runs of consecutive or identical characters, ascending or descending ("abcdefghijkl", "987654321098"). */
function isSequence(text: string): boolean {
  let steps = 0;
  for (let i = 1; i < text.length; i++) {
    const step = text.charCodeAt(i) - text.charCodeAt(i - 1);
    // 0-9 wraps round to 0 in keyboard sequences such as 1234567890.
    if (Math.abs(step) <= 1 || Math.abs(step) === 9) steps++;
  }
  return steps >= text.length - 2;
}

/** Parts of the email and name long enough to matter (4+ characters). */
function personalWords({ email, displayName }: PasswordContext): string[] {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  const domainParts = domain.split('.').slice(0, -1);
  const parts = [
    local,
    ...local.split(/[^a-z0-9]+/),
    ...domainParts,
    ...domainParts.flatMap((p) => p.split(/[^a-z0-9]+/)),
    ...displayName.toLowerCase().split(/[^\p{L}\p{N}]+/u),
  ];
  return [...new Set(parts.filter((p) => p.length >= 4))];
}
