// Where the tests find their services. With TEST_DATABASE_URL and
// TEST_REDIS_URL and TEST_RABBITMQ_URL set, tests run against those real
// servers, each test file in its own database, Redis key prefix and RabbitMQ
// vhost; unset, they run on the embedded defaults (PGlite, in-process
// pub/sub, cache, limits and bus). In CI a missing URL is an error, never a
// silent fallback.

export const testServices = {
  databaseUrl: process.env.TEST_DATABASE_URL || undefined,
  redisUrl: process.env.TEST_REDIS_URL || undefined,
  rabbitmqUrl: process.env.TEST_RABBITMQ_URL || undefined,
};

if (process.env.CI === 'true' && !testServices.databaseUrl) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: CI must test against the real PostgreSQL');
}
if (process.env.CI === 'true' && !testServices.redisUrl) {
  throw new Error('CI=true but TEST_REDIS_URL is not set: CI must test against the real Redis');
}
if (process.env.CI === 'true' && !testServices.rabbitmqUrl) {
  throw new Error('CI=true but TEST_RABBITMQ_URL is not set: CI must test against the real RabbitMQ');
}
