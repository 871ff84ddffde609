import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'order-service'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'input.password', 'authorization', '*.authorization', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}
