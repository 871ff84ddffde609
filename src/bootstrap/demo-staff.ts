// On the embedded defaults only, and only when no ADMIN_EMAIL is set: a demo
// staff account, made once with a random password kept under DATA_DIR (so
// the same one works after a restart), and printed at every start, so a
// newcomer can try the staff board and the admin mutations at once.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthService } from '../auth/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export const DEMO_STAFF_EMAIL = 'staff@demo.example';

interface DemoStaff {
  email: string;
  password: string;
}

async function remembered(file: string): Promise<DemoStaff | null> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<DemoStaff>;
    return typeof stored.email === 'string' && typeof stored.password === 'string'
      ? { email: stored.email, password: stored.password }
      : null;
  } catch {
    return null;
  }
}

export async function ensureDemoStaff(config: Config, auth: AuthService, logger: Logger): Promise<DemoStaff | null> {
  if (!config.embeddedDefaults || config.admin) return null;
  const file = join(config.dataDir, 'demo-staff.json');
  let staff = await remembered(file);
  if (!staff) {
    staff = { email: DEMO_STAFF_EMAIL, password: randomBytes(12).toString('base64url') };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(staff), { mode: 0o600 });
  }
  // Never changes an existing account: a demo account made earlier keeps the password stored with it.
  await auth.ensureAdmin(staff.email, staff.password);
  logger.info(
    { email: staff.email },
    `demo staff account (embedded defaults only; set ADMIN_EMAIL for your own): ${staff.email} / ${staff.password}`,
  );
  return staff;
}
