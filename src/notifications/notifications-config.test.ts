// The notification settings of src/config.ts: defaults, and one clear error per bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('notification settings', () => {
  it('default to .eml files, the documented retry schedule and no private webhook targets', () => {
    expect(loadConfig({}).notifications).toEqual({
      smtpUrl: undefined,
      mailFrom: 'Order service <no-reply@localhost>',
      emailRetryScheduleMs: [5000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000],
      webhookRetryScheduleMs: [5000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000],
      webhookAllowPrivateTargets: false,
      webhookTimeoutMs: 10_000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      MAIL_FROM: 'orders@example.com',
      EMAIL_RETRY_SCHEDULE: '1s, 1m',
      WEBHOOK_RETRY_SCHEDULE: '250ms,2s',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT: '5s',
    }).notifications;
    expect(config).toMatchObject({
      smtpUrl: 'smtps://user:pass@mail.example.com:465',
      mailFrom: 'orders@example.com',
      emailRetryScheduleMs: [1000, 60_000],
      webhookRetryScheduleMs: [250, 2000],
      webhookAllowPrivateTargets: true,
      webhookTimeoutMs: 5000,
    });
  });

  it.each([
    [{ SMTP_URL: 'http://mail.example.com' }, /^SMTP_URL: must start with smtp:\/\/ or smtps:\/\//],
    [{ MAIL_FROM: 'not an address' }, /^MAIL_FROM: /],
    [{ WEBHOOK_RETRY_SCHEDULE: '5s,soon' }, /^WEBHOOK_RETRY_SCHEDULE: expected a duration/],
    [{ EMAIL_RETRY_SCHEDULE: '0s' }, /^EMAIL_RETRY_SCHEDULE: must be greater than zero/],
    [{ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' }, /^WEBHOOK_ALLOW_PRIVATE_TARGETS: expected true or false/],
    [{ WEBHOOK_TIMEOUT: '5m' }, /^WEBHOOK_TIMEOUT: /],
  ])('refuses %o', (env, message) => {
    expect(errorOf(env)).toMatch(message);
  });
});
