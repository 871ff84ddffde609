// Where the tests find their services. With TEST_DATABASE_URL (and later the
// Redis and RabbitMQ URLs) set, tests run against those real servers, each
// run in its own database; unset, they run on the embedded defaults.
// In CI a missing URL is an error, never a silent fallback.

export const testServices = {
  databaseUrl: process.env.TEST_DATABASE_URL || undefined,
};

if (process.env.CI === 'true' && !testServices.databaseUrl) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: CI must test against the real PostgreSQL');
}
