import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Fields are passed as objects, never spliced into the message, so user
 * input cannot forge a log line; credentials are redacted wherever they appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, pretty = false): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'safeshare' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.clientSecret', '*.refreshToken', '*.accessToken'],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  // Development: readable lines through pino-pretty (a dev dependency), when it is installed.
  if (pretty && canResolve('pino-pretty')) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}

function canResolve(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
