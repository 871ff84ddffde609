// Fault injection on the real topology: two API instances, two
// consumers processes, the payment simulator in one of them, every
// connection to PostgreSQL, Redis and RabbitMQ through a proxy of the
// suite's own. Customers place orders under load while the nemesis kills,
// stops and cuts, one fault at a time and then combined; live subscribers
// record every change and resume from their cursor on any close. After each
// scenario heals and goes quiet, the checker holds what every client was told
// against the database, the dead-letter queues and every subscriber's record.
// README "Fault injection" says how to run it and the soak.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackChanges, type Tracker } from '../support/tracker.js';
import { testServices } from '../support/services.js';
import { formatTable, type ScenarioRow, type Violation } from './checker.js';
import { Cluster, FAULT_ADMIN } from './cluster.js';
import { Evidence } from './evidence.js';
import { login, OrderLoad, registerCustomer, type Account } from './load.js';
import { SCENARIOS } from './nemesis.js';
import { runScenario, type Subscriber, type SuiteContext } from './run-scenario.js';
import { faultSettings } from './settings.js';

const settings = faultSettings();
const STOCK = 10_000_000;
// Enough products that orders rarely queue on one product row (stock is reserved under its lock): the
// suite is about faults, not about a hot row on two busy cores.
const SKUS = Array.from({ length: 40 }, (_, i) => `FAULT-${String(i + 1).padStart(2, '0')}`);
/** How many of the load's customers also follow their own orders live. */
const LIVE_CUSTOMERS = 3;

describe.runIf(testServices.databaseUrl && testServices.redisUrl && testServices.rabbitmqUrl)(
  'fault injection on two API instances and two consumers processes',
  () => {
    let cluster: Cluster | undefined;
    let ctx: SuiteContext;
    const trackers: Tracker[] = [];
    const rows: ScenarioRow[] = [];
    const notes: string[] = [];
    const suiteStarted = Date.now();

    beforeAll(async () => {
      cluster = await Cluster.start({ paymentDelay: settings.paymentDelay });
      const evidence = await Evidence.open(cluster.db.url, cluster.vhost.url!);
      for (const sku of SKUS) {
        await evidence.query(
          `insert into products (sku, name, price_minor, currency, stock) values ($1, $1, 1250, 'EUR', $2)`,
          [sku, STOCK],
        );
      }
      const [url] = cluster.apiUrls;
      const customers: Account[] = [];
      for (let i = 0; i < settings.customers; i++) customers.push(await registerCustomer(url!));
      const admin = await login(url!, FAULT_ADMIN);
      let turn = 0;
      // Like a load balancer: each (re)connect goes to the next instance.
      const nextUrl = () => cluster!.apiUrls[turn++ % 2]!;
      const subscribers: Subscriber[] = [];
      for (const [name, account, customerId] of [
        ['admin', admin, null] as const,
        ...customers.slice(0, LIVE_CUSTOMERS).map((c, i) => [`customer-${i + 1}`, c, c.id] as const),
      ]) {
        const tracker = trackChanges(nextUrl, () => account.token);
        trackers.push(tracker);
        subscribers.push({ name, customerId, record: tracker.record, errors: tracker.errors });
      }
      const load = new OrderLoad({
        urls: () => cluster!.apiUrls,
        customers,
        skus: SKUS,
        requestTimeoutMs: settings.requestTimeoutMs,
      });
      ctx = { cluster, evidence, load, settings, subscribers, initialStock: new Map(SKUS.map((s) => [s, STOCK])) };
    });

    afterAll(async () => {
      await Promise.all(trackers.map((t) => t.dispose()));
      const wall = ((Date.now() - suiteStarted) / 1000).toFixed(0);
      const report = [
        `Fault injection, ${settings.soak ? 'soak' : 'CI'} mode: ${settings.ratePerSecond} orders/s offered, ` +
          `RabbitMQ cut ${settings.rabbitmqCutMs / 1000} s, Redis cut ${settings.redisCutMs / 1000} s, ` +
          `PostgreSQL cut ${settings.postgresCutMs / 1000} s, partition ${settings.postgresPartitionMs / 1000} s; ` +
          `wall time ${wall} s.`,
        '',
        formatTable(rows),
        '',
        ...notes.map((n) => `- ${n}`),
      ].join('\n');
      console.log(`\n${report}\n`);
      if (cluster) {
        const path = process.env.FAULTS_REPORT ?? join(cluster.logDir, 'report.md');
        writeFileSync(path, `${report}\n`);
        console.log(`report: ${path}; process logs: ${cluster.logDir}`);
      }
      await ctx?.evidence.close();
      await cluster?.stop();
    });

    const record = async (name: string, label: string): Promise<Violation[]> => {
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      const result = await runScenario(ctx, scenario, label);
      rows.push(result.row);
      appendFileSync(
        join(ctx.cluster.logDir, 'progress.md'),
        `${formatTable([result.row])}\n${[...result.notes, ...result.violations.slice(0, 20).map((v) => `${v.rule}: ${v.detail}`)].join('\n')}\n\n`,
      );
      console.log(`${formatTable([result.row])}\n${result.notes.map((n) => `- ${n}`).join('\n')}`);
      if (result.violations.length > 0) console.log(result.violations.slice(0, 20));
      notes.push(...result.notes.map((n) => `${label}: ${n}`));
      return result.violations;
    };

    if (!settings.soak) {
      for (const scenario of SCENARIOS) {
        it(`${scenario.name}: nothing acknowledged is lost, nothing happens twice, everything settles`, async () => {
          const violations = await record(scenario.name, scenario.name);
          expect(violations).toEqual([]);
        }, 240_000);
      }
    } else {
      it(
        'soak: every scenario, round after round, with nothing lost, doubled or stuck',
        async () => {
          const violations: Violation[] = [];
          for (let round = 1; Date.now() - suiteStarted < settings.soakMs; round++) {
            for (const scenario of SCENARIOS) {
              violations.push(...(await record(scenario.name, `r${round} ${scenario.name}`)));
            }
          }
          expect(violations).toEqual([]);
        },
        settings.soakMs + 15 * 60_000,
      );
    }
  },
);
