// The framework floor for `order(id)`: a bare Apollo Server on Express, the
// packages and versions the service runs, with the service's own schema and
// one resolver answering `order(id)` from one Redis GET of the JSON the
// runner stored. No auth, limits, logging or metrics: what the mandated
// framework costs on its own, so the service's distance from it is what the
// service adds.
//   PORT, REDIS_URL, KEY_PREFIX (the runner stored `{"data":{"order":...}}` under KEY_PREFIX<id>)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSchema, type GraphQLFieldResolver } from 'graphql';
import { Redis } from 'ioredis';

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = env.KEY_PREFIX ?? '';

// The committed SDL: the same types, so the same query validates and every field below `order` is
// resolved by graphql-js's default resolver from the stored object (custom scalars pass through).
const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
const order: GraphQLFieldResolver<unknown, unknown, { id: string }> = async (_root, { id }) => {
  const body = await redis.get(`${prefix}${id}`);
  return body === null ? null : (JSON.parse(body) as { data: { order: unknown } }).data.order;
};
const queryType = schema.getQueryType();
const orderField = queryType?.getFields().order;
if (!orderField) throw new Error('schema/schema.graphql has no Query.order');
orderField.resolve = order;

const apollo = new ApolloServer({ schema });
await apollo.start();
const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.use('/graphql', express.json(), expressMiddleware(apollo));
createServer(app).listen(Number(env.PORT), '127.0.0.1');
