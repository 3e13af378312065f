import fc from 'fast-check';
import { isStorableText, REPLACEMENT, storableJson, storableText, truncateText } from '../../src/db/safe-text';
import { anyUtf16, longText } from '../support/unicode';

const codePoints = (s: string) => Array.from(s);
/** Written apart from the module under test: no surrogate without its partner. */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('safe text', () => {
  it('property: storable text is storable, and unchanged when it already was', () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16(), longText(500)), (text) => {
        const clean = storableText(text);
        expect(isStorableText(clean)).toBe(true);
        expect(wellFormed(clean)).toBe(true);
        expect(clean.includes('\u0000')).toBe(false);
        if (isStorableText(text)) expect(clean).toBe(text);
        // One replacement per unstorable unit: nothing else moves.
        expect(clean.length).toBe(text.length);
      }),
    );
  });

  it('property: a cut keeps at most n code points, as a prefix, never half a pair', () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16(), longText(500)), fc.integer({ min: 0, max: 600 }), (text, n) => {
        const cut = truncateText(storableText(text), n);
        expect(wellFormed(cut)).toBe(true);
        const kept = cut.endsWith('…') && codePoints(storableText(text)).length > n ? cut.slice(0, -1) : cut;
        expect(codePoints(kept).length).toBeLessThanOrEqual(n);
        expect(storableText(text).startsWith(kept)).toBe(true);
      }),
    );
  });

  it('cuts 499 units and an emoji at 500 code points: the pair kept whole', () => {
    expect(truncateText(`${'a'.repeat(499)}😀b`, 500)).toBe(`${'a'.repeat(499)}😀…`);
    expect(truncateText(`${'a'.repeat(500)}😀`, 500)).toBe(`${'a'.repeat(500)}…`);
  });

  it('property: JSON made by storableJson parses back to storable strings everywhere, keys included', () => {
    fc.assert(
      fc.property(fc.dictionary(anyUtf16(8), fc.oneof(anyUtf16(), fc.array(anyUtf16(), { maxLength: 3 }))), (value) => {
        const strings: string[] = [];
        JSON.parse(storableJson(value), (k, v: unknown) => {
          strings.push(k);
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        for (const s of strings) expect(isStorableText(s)).toBe(true);
      }),
    );
    expect(storableText('a\u0000\uD800b')).toBe(`a${REPLACEMENT}${REPLACEMENT}b`);
  });
});
