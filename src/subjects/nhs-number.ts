/**
 * NHS numbers are ten digits whose last is a modulus-11 check digit over the first nine (weights
 * 10 down to 2). A remainder giving 10 means the number was never issued.
 */
export function nhsCheckDigit(firstNine: string): number | null {
  const sum = [...firstNine].reduce((total, digit, i) => total + Number(digit) * (10 - i), 0);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  return check === 10 ? null : check;
}

/** Spaces and hyphens, as people write them ("943 476 5919"), are ignored. */
export function normaliseNhsNumber(value: string): string {
  return value.replace(/[\s-]/g, '');
}

export function isValidNhsNumber(value: string): boolean {
  const digits = normaliseNhsNumber(value);
  if (!/^\d{10}$/.test(digits)) return false;
  return nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9]);
}
