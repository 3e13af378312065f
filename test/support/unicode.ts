import fc from 'fast-check';

/** Any UTF-16 text: astral characters, NUL, and lone surrogates (fc's 'binary' unit alone never makes one). */
export const anyUtf16 = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
        fc.constantFrom('\u0000', '😀', '\u{10FFFF}', '\uFFFF', '"', '\\', "'"),
      ),
      { maxLength },
    )
    .map((parts) => parts.join(''));

/** Text of `n` units before an astral character (a surrogate pair) and some after: cut at `n`, naïvely, it splits the pair. */
export const straddling = (n: number, pair = '😀') => `${'a'.repeat(n)}${pair}${'b'.repeat(20)}`;

/** Long text around a cut at `cut` units: a pair across the cut, or arbitrary text of any length up to three times it. */
export const longText = (cut: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.integer({ min: cut - 3, max: cut + 1 }), fc.constantFrom('😀', '𝄞', '\u{10FFFF}')).map(([n, pair]) => straddling(n, pair)),
    fc.tuple(fc.string({ unit: 'binary', minLength: cut - 10, maxLength: cut * 3 }), anyUtf16(10)).map(([a, b]) => a + b),
  );
