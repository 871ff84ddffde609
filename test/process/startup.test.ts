// Bad configuration stops the compiled service at start with one line naming
// the variable, before anything is opened or served.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMainToExit } from '../support/compiled.js';

const dataDir = mkdtempSync(join(tmpdir(), 'order-service-startup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function expectRefusal(env: Record<string, string>, variable: string) {
  const result = runMainToExit({ DATA_DIR: dataDir, PORT: '0', ...env });
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^order-service: bad configuration: ${variable}: `));
  // Refused before anything was opened: the embedded database never started.
  expect(existsSync(join(dataDir, 'pg'))).toBe(false);
}

describe('configuration at start', () => {
  it('refuses to start with NODE_ENV=production and no JWT_SECRET, in one line naming it', () => {
    expectRefusal({ NODE_ENV: 'production' }, 'JWT_SECRET');
  });

  it.each([
    ['PORT', 'eighty'],
    ['DATABASE_URL', 'mysql://localhost/orders'],
    ['SHUTDOWN_TIMEOUT', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_CREATE_ORDER', 'many'],
  ])('stops on a bad %s, naming it', (variable, value) => {
    expectRefusal({ [variable]: value }, variable);
  });

  it('judges ADMIN_EMAIL by the rules of a registration, before anything connects', () => {
    expectRefusal({ ADMIN_EMAIL: 'admin@example.c', ADMIN_PASSWORD: 'admin-password-1' }, 'ADMIN_EMAIL');
  });
});
