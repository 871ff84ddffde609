// Two email dispatchers over one database with a lease far shorter than a
// send: the dispatcher holding a delivery renews its lease while the send
// runs, so the other never takes the row and the customer gets one email.
// Without the renewal the second dispatcher would claim the row as soon as
// the first lease ran out and send it again.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { DeliveryDispatcher, emailStrategy, type Mailer } from '../../src/notifications/index.js';
import { newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { settle, waitFor } from '../support/wait.js';

const LEASE_MS = 300;
const SEND_MS = 1500;

describe('notification deliveries held by a live dispatcher', () => {
  let t: TestApp;
  const dispatchers: DeliveryDispatcher[] = [];
  beforeAll(async () => {
    // No consumers in the app: the test's dispatchers are the only ones.
    t = await startTestApp({ RUN_CONSUMERS: 'false' });
  });
  afterAll(async () => {
    await Promise.all(dispatchers.map((d) => d.stop()));
    await t?.stop();
  });

  /** A mail server that takes SEND_MS to accept each message; `sent` lists the Message-IDs it accepted. */
  function slowMailer(sent: string[]): Mailer {
    return {
      kind: 'smtp',
      async send(email) {
        await settle(SEND_MS);
        sent.push(email.messageId);
        return { ok: true, permanent: false, statusCode: 250, error: null };
      },
      close() {},
    };
  }

  function dispatcher(sent: string[]): DeliveryDispatcher {
    const d = new DeliveryDispatcher(
      t.app.orm,
      emailStrategy(slowMailer(sent), { mailFrom: 'Shop <orders@shop.test>', retryScheduleMs: [100] }),
      createLogger('silent'),
      undefined,
      { leaseMs: LEASE_MS, pollIntervalMs: 50 },
    );
    dispatchers.push(d);
    d.start();
    return d;
  }

  const row = async (id: string) => {
    const [found] = await t.app.orm.em
      .fork()
      .execute<{ status: string; attempts: number }[]>(
        `select status, attempts from notification_deliveries where id = ?`,
        [id],
      );
    return found;
  };

  it('sends a delivery once however long the send outlasts the lease', async () => {
    const id = randomUUID();
    const customer = await newCustomer(t);
    await t.app.orm.em.fork().execute(
      `insert into notification_deliveries (id, event_id, event_type, order_id, channel, user_id, payload)
       values (?, ?, 'order.paid', ?, 'EMAIL', ?, ?)`,
      [
        id,
        randomUUID(),
        randomUUID(),
        customer.id,
        JSON.stringify({ to: customer.email, subject: 'Paid', text: 'Paid', html: '<p>Paid</p>' }),
      ],
    );
    const first: string[] = [];
    const second: string[] = [];
    dispatcher(first);
    await waitFor('the first dispatcher to claim the row', async () => (await row(id))?.attempts === 1);
    // The second dispatcher looks every 50 ms while the first is still sending, many leases long.
    dispatcher(second);
    await waitFor('the delivery to be recorded', async () => (await row(id))?.status === 'sent', 20_000);
    await settle(3 * LEASE_MS);

    expect(await row(id)).toEqual({ status: 'sent', attempts: 1 });
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
  }, 60_000);
});
