import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { parsePgbenchLog, parsePgbenchOutput } from './pgbench.js';
import { figure, formatNumber, ratioGoal, renderMarkdown, type RunResults } from './results.js';

const run: RunResults = {
  date: '2026-01-01T00:00:00.000Z',
  node: 'v24.0.0',
  mode: 'quick',
  machine: { nproc: 2, memoryGiB: 4, cpuModel: 'Test CPU | fast', os: 'Linux' },
  durationSeconds: 61.4,
  scenarios: [
    {
      id: 'createOrder',
      title: '1. createOrder',
      baseline: 'pgbench',
      status: 'ok',
      figures: [figure('orders/s, 64 clients', 'orders/s', 400, 1000, ratioGoal(0.5)), figure('p99', 'ms', 12.345, 4)],
      notes: ['a note'],
    },
    {
      id: 'fanout',
      title: '3. Fan-out',
      baseline: 'plain ws',
      status: 'not available',
      reason: 'no graphql-ws',
      figures: [figure('p99', 'ms', null, 20, { text: '< 1000 ms', test: (v) => v < 1000 })],
      notes: [],
    },
  ],
};

describe('the results table', () => {
  it('puts each figure beside its baseline with the ratio and the goal mark', () => {
    const md = renderMarkdown(run);
    expect(md).toContain('| orders/s, 64 clients | orders/s | 400 | 1000 | 0.40× | >= 50% of baseline: **short** |');
    expect(md).toContain('| p99 | ms | 12.3 | 4.00 | 3.09× |  |');
    expect(md).toContain('| CPU | Test CPU \\| fast (nproc 2) |');
    expect(md).toContain('- a note');
  });

  it('says "not available" instead of inventing a figure', () => {
    const md = renderMarkdown(run);
    expect(md).toContain('**not available**: no graphql-ws');
    expect(md).toContain('| p99 | ms | n/a | 20.0 | n/a | < 1000 ms: **n/a** |');
  });

  it("ends by pointing at the web app's own results, which the run does not rewrite", () => {
    expect(renderMarkdown(run).trimEnd().endsWith('[WEB-RESULTS.md](WEB-RESULTS.md).')).toBe(true);
  });

  it('passes a ratio goal only when there is a baseline to hold it against', () => {
    expect(figure('x', 'u', 600, 1000, ratioGoal(0.5)).goal?.met).toBe(true);
    expect(figure('x', 'u', 600, null, ratioGoal(0.5)).goal?.met).toBeNull();
  });

  it('formats numbers to about three digits', () => {
    expect([formatNumber(1234.5), formatNumber(12.345), formatNumber(1.234), formatNumber(0.1234)]).toEqual([
      '1235',
      '12.3',
      '1.23',
      '0.123',
    ]);
    expect(formatNumber(null)).toBe('n/a');
  });
});

describe('the tools the bench reads', () => {
  it('reads pgbench throughput and per-transaction latencies', () => {
    const out = parsePgbenchOutput(
      'number of transactions actually processed: 5000\nnumber of failed transactions: 0 (0.000%)\ntps = 1234.567890 (without initial connection time)\n',
    );
    expect(out).toEqual({ tps: 1234.56789, transactions: 5000, failed: 0 });
    expect(parsePgbenchLog('0 1 1500 0 1700000000 1\n1 1 250 0 1700000000 2\n')).toEqual([1.5, 0.25]);
  });

  it('takes --quick and --only, and refuses an unknown scenario', () => {
    expect(parseArgs(['--quick', '--only=read,fanout'])).toEqual({ quick: true, only: ['read', 'fanout'] });
    expect(parseArgs([]).only).toHaveLength(5);
    expect(() => parseArgs(['--only=reads'])).toThrow(/unknown scenario reads/);
  });
});
