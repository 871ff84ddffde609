// Without SMTP_URL, emails are .eml files: the directory is made when it is
// missing (at the first email, and again if someone removed it), and the same
// message written twice is still one file.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createMailer, messageIdFor, type OutgoingEmail } from './mailer.js';

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function email(eventId: string): OutgoingEmail {
  return {
    to: 'customer@example.com',
    subject: 'Your order',
    text: 'Paid.',
    html: '<p>Paid.</p>',
    messageId: messageIdFor(eventId, 'email', 'orders@example.com'),
  };
}

describe('the file mailer', () => {
  it('makes its directory when it is missing, first and after it was removed, and writes each message once', async () => {
    root = await mkdtemp(join(tmpdir(), 'mailer-test-'));
    const mailDir = join(root, 'mail', 'nested');
    const mailer = createMailer(
      { smtpUrl: undefined, mailFrom: 'orders@example.com', mailDir },
      createLogger('silent'),
    );
    try {
      expect((await mailer.send(email('e-1'))).ok).toBe(true);
      expect((await mailer.send(email('e-1'))).ok).toBe(true);
      expect(await readdir(mailDir)).toHaveLength(1);

      await rm(join(root, 'mail'), { recursive: true });
      expect((await mailer.send(email('e-2'))).ok).toBe(true);
      expect(await readdir(mailDir)).toEqual([expect.stringContaining('e-2')]);
    } finally {
      mailer.close();
    }
  });

  it('reports a directory it cannot write to as a failed try, not a throw', async () => {
    root = await mkdtemp(join(tmpdir(), 'mailer-test-'));
    // A file where the directory should be: neither the write nor the mkdir can succeed.
    const blocked = join(root, 'not-a-dir');
    await writeFile(blocked, 'x');
    const mailer = createMailer(
      { smtpUrl: undefined, mailFrom: 'orders@example.com', mailDir: join(blocked, 'mail') },
      createLogger('silent'),
    );
    try {
      const outcome = await mailer.send(email('e-3'));
      expect(outcome).toMatchObject({ ok: false, permanent: false });
      expect(outcome.error).toMatch(/ENOTDIR|EEXIST/);
    } finally {
      mailer.close();
    }
  });
});
