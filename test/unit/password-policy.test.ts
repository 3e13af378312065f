import { passwordProblem } from '../../src/users/password-policy';

const who = { email: 'jo.bloggs@rochdale-csc.example', displayName: 'Joanne Bloggs' };

describe('password policy', () => {
  it.each([
    'a-long-enough-passphrase',
    'correct horse battery',
    'Tram to Piccadilly at 7',
    '839201746582',
    'ünïcödé-längé-wörds',
    'green tram ticket to bury',
  ])('accepts %j', (password) => {
    expect(passwordProblem(password, who)).toBeNull();
  });

  it.each([
    ['too short', 'short-pass', /12 to 128/],
    ['too long (argon2 work)', 'a'.repeat(100) + 'b'.repeat(29), /12 to 128/],
    ['a common password', 'password1234', /too common/],
    ['a common word padded with digits and symbols', 'Password2024!!', /too common/],
    ['a common word in leetspeak', 'P4ssw0rd-2024', /too common/],
    ['a season and year', 'Summer2024!!!', /too common/],
    ['a keyboard walk', 'qwertyuiop123', /too common/],
    ['a repetition', 'abababababab', /too few characters/],
    ['a sequence', '123456789012', /too common|sequence/],
    ['a descending sequence', 'zyxwvutsrqpo', /sequence/],
    ['the email name', 'jo.bloggs-is-great', /email address or name/],
    ['part of the email', 'MyBloggsPassphrase', /email address or name/],
    ['the agency domain', 'rochdale-forever-and-ever', /email address or name/],
    ['the display name', 'joanne-forever-and-ever', /email address or name/],
    ['the service name', 'my-safeshare-passphrase', /this service/],
  ])('refuses %s', (_case, password, message) => {
    expect(passwordProblem(password, who)).toMatch(message);
  });
});
