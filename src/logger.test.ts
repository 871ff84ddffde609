import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from './logger.js';
import { runInScope, withCorrelationId } from './observability/request-scope.js';

function capture() {
  const raw: string[] = [];
  const logger = createLogger('info', 'order-service', {
    destination: { write: (line: string) => void raw.push(line) },
  });
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('stamps the request id on every line written inside a request scope, however deep', async () => {
    const { logger, lines } = capture();
    await runInScope({ requestId: 'req-1' }, async () => {
      logger.info('first');
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.child({ component: 'orm' }).warn('deeper');
    });
    logger.info('outside');
    expect(lines().map((l) => [l.msg, l.requestId])).toEqual([
      ['first', 'req-1'],
      ['deeper', 'req-1'],
      ['outside', undefined],
    ]);
  });

  it("lets consumers log under a message's correlation id", () => {
    const { logger, lines } = capture();
    withCorrelationId('corr-9', () => logger.info({ queue: 'orders.audit' }, 'consumed'));
    expect(lines()[0]).toMatchObject({ requestId: 'corr-9', queue: 'orders.audit' });
  });

  it('prints the id once when a child logger is already bound to it', () => {
    const { logger, raw } = capture();
    runInScope({ requestId: 'req-2' }, () => logger.child({ requestId: 'req-2' }).info('bound'));
    expect(raw[0]!.match(/"requestId"/g)).toHaveLength(1);
  });

  it('formats a line for people in development', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-01-02T03:04:05.678Z',
      service: 'order-service',
      msg: 'failed',
      requestId: 'r-1',
      err: { message: 'boom', stack: 'Error: boom\n    at here' },
    });
    const pretty = prettyLine(line);
    expect(pretty).toContain('03:04:05.678');
    expect(pretty).toContain('ERROR');
    expect(pretty).toContain('failed');
    expect(pretty).toContain('"requestId":"r-1"');
    expect(pretty).toContain('Error: boom\n    at here');
    expect(pretty.endsWith('\n')).toBe(true);
  });
});
