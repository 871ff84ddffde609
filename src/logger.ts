// Structured JSON logs (pino). Inside a request scope every line carries the
// request id, whoever logs it; in development on a terminal, lines are
// printed for people instead (see prettyLine).
import { pino, type DestinationStream, type Logger } from 'pino';
import { currentScope } from './observability/request-scope.js';

export type { Logger };

export interface LoggerOptions {
  /** Human-readable lines instead of JSON (development on a terminal). */
  pretty?: boolean;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(level: string, name = 'order-service', options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? (options.pretty ? prettyStdout() : undefined);
  const settings: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'input.password', 'authorization', '*.authorization', 'token', '*.token'],
      censor: '[redacted]',
    },
    mixin(_mergeObject, _level, logger) {
      const scope = currentScope();
      // A child logger bound to the id already prints it; a second copy would make the key repeat.
      if (!scope || 'requestId' in logger.bindings()) return {};
      return { requestId: scope.requestId };
    },
  };
  return destination ? pino(settings, destination) : pino(settings);
}

/** Whether logs should be pretty: development, and a person is watching stdout. */
export function wantsPrettyLogs(env: string): boolean {
  return env === 'development' && process.stdout.isTTY === true;
}

const LEVELS: Record<number, { label: string; colour: number }> = {
  10: { label: 'TRACE', colour: 90 },
  20: { label: 'DEBUG', colour: 36 },
  30: { label: 'INFO ', colour: 32 },
  40: { label: 'WARN ', colour: 33 },
  50: { label: 'ERROR', colour: 31 },
  60: { label: 'FATAL', colour: 35 },
};

/** One JSON line as `12:00:01.234 INFO  message {"other":"fields"}`, with an error's stack below. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, err, service: _service, name: _name, ...fields } = entry;
  const known = LEVELS[Number(level)] ?? { label: String(level), colour: 0 };
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const rest = Object.keys(fields).length > 0 ? ` \x1b[90m${JSON.stringify(fields)}\x1b[0m` : '';
  const stack = typeof err === 'object' && err !== null && 'stack' in err ? `\n${String(err.stack)}` : '';
  return `${clock} \x1b[${known.colour}m${known.label}\x1b[0m ${String(msg ?? '')}${rest}${stack}\n`;
}

function prettyStdout(): DestinationStream {
  return { write: (line: string) => void process.stdout.write(prettyLine(line.trimEnd())) };
}
