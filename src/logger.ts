import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Fields are passed as objects, never spliced into the message, so user
 * input cannot forge a log line; credentials are redacted wherever they appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'safeshare' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.clientSecret', '*.refreshToken', '*.accessToken'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
