import { GraphQLError } from 'graphql';
import { classifyError, ErrorCode } from '../../src/errors';

/** A driver error as pg raises it, wrapped as a resolver error reaches formatError. */
const dbError = (code: string) => new GraphQLError('driver message with SQL', { originalError: Object.assign(new Error('x'), { code }) });

describe('classifyError', () => {
  it.each([
    ['23503 (a reference to a row that does not exist)', '23503', ErrorCode.BAD_USER_INPUT],
    ['23514 (a check constraint)', '23514', ErrorCode.BAD_USER_INPUT],
    ['22P02 (a malformed value)', '22P02', ErrorCode.BAD_USER_INPUT],
    ['23505 (a unique constraint)', '23505', ErrorCode.CONFLICT],
  ])('maps database error %s to a public code without the driver message', (_case, code, expected) => {
    const classified = classifyError(dbError(code));
    expect(classified).not.toBe('internal');
    expect(classified).toMatchObject({ extensions: { code: expected } });
    expect(JSON.stringify(classified)).not.toContain('SQL');
  });

  it('keeps other database failures internal', () => {
    expect(classifyError(dbError('40P01'))).toBe('internal');
  });
});
