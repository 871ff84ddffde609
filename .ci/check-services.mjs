// Fails with one line per unreachable service; CI never skips a service.
import { connect } from 'node:net';

const services = [
  ['PostgreSQL', process.env.TEST_DATABASE_URL],
  ['Redis', process.env.TEST_REDIS_URL],
  ['RabbitMQ', process.env.TEST_RABBITMQ_URL],
];

function reachable(url) {
  const { hostname, port } = new URL(url);
  const defaults = { 'postgresql:': 5432, 'postgres:': 5432, 'redis:': 6379, 'amqp:': 5672 };
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) || defaults[new URL(url).protocol] });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

let failed = false;
for (const [name, url] of services) {
  if (!url) {
    console.error(`${name}: no URL set`);
    failed = true;
  } else if (await reachable(url)) {
    console.log(`${name}: reachable at ${new URL(url).host}`);
  } else {
    console.error(`${name}: NOT reachable at ${new URL(url).host}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
