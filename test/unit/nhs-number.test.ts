import { isValidNhsNumber, nhsCheckDigit } from '../../src/subjects/nhs-number';

describe('NHS number check digit', () => {
  it.each(['9434765919', '943 476 5919', '943-476-5919', '4010232137'])('accepts %s', (n) => {
    expect(isValidNhsNumber(n)).toBe(true);
  });

  it.each([
    ['a wrong check digit', '9434765918'],
    ['nine digits', '943476591'],
    ['eleven digits', '94347659190'],
    ['letters', '94347659AB'],
    ['empty', ''],
  ])('refuses %s', (_case, n) => {
    expect(isValidNhsNumber(n)).toBe(false);
  });

  it('treats a remainder of 11 as 0 and 10 as never issued', () => {
    // Nine zeros: sum 0, 11 - 0 = 11, so the check digit is 0.
    expect(nhsCheckDigit('000000000')).toBe(0);
    expect(isValidNhsNumber('0000000000')).toBe(true);
    const neverIssued = [...Array(1000).keys()].map((i) => String(i).padStart(9, '0')).find((nine) => nhsCheckDigit(nine) === null)!;
    for (let d = 0; d <= 9; d++) expect(isValidNhsNumber(`${neverIssued}${d}`)).toBe(false);
  });
});
