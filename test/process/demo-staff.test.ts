// `npm start` on the embedded defaults, with no ADMIN_EMAIL: a demo staff
// account is made once and printed at every start, with the same password,
// so a newcomer can open the staff board at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMain, type RunningService } from '../support/compiled.js';

const dataDir = mkdtempSync(join(tmpdir(), 'order-service-demo-staff-'));
let service: RunningService | undefined;
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startEmbedded(env: Record<string, string> = {}) {
  service = await startMain({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env });
  return service;
}

async function stop(running: RunningService) {
  running.child.kill('SIGTERM');
  expect((await running.exited).code).toBe(0);
}

function printedStaff(running: RunningService) {
  const line = running.logs.find((l) => String(l.msg).startsWith('demo staff account'));
  const match = /: (\S+) \/ (\S+)$/.exec(String(line?.msg ?? ''));
  return match ? { email: match[1]!, password: match[2]! } : undefined;
}

async function roleOf(url: string, credentials: { email: string; password: string }) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: LoginInput!) { login(input: $input) { user { role } } }',
      variables: { input: credentials },
    }),
  });
  const body = (await response.json()) as { data?: { login?: { user: { role: string } } } };
  return body.data?.login?.user.role;
}

// Each test starts the compiled service twice on PGlite: on a loaded 2-core machine a start alone has taken 40 s.
describe('the demo staff account', { timeout: 240_000 }, () => {
  it('is made once on the embedded defaults, printed at every start, and signs in as ADMIN', async () => {
    const first = await startEmbedded();
    const staff = printedStaff(first);
    expect(staff).toBeDefined();
    expect(await roleOf(first.url, staff!)).toBe('ADMIN');
    await stop(first);

    const second = await startEmbedded();
    expect(printedStaff(second)).toEqual(staff);
    expect(await roleOf(second.url, staff!)).toBe('ADMIN');
    await stop(second);
  });

  it('is not made when ADMIN_EMAIL is set', async () => {
    const running = await startEmbedded({ ADMIN_EMAIL: 'boss@example.com', ADMIN_PASSWORD: 'boss-password-1' });
    expect(printedStaff(running)).toBeUndefined();
    await stop(running);
  });
});
