// Writes the SDL that type-graphql builds to schema/schema.graphql (committed;
// CI fails when it is stale). Run with `npm run generate:schema`.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from './graphql/schema.js';

const target = new URL('../../schema/schema.graphql', import.meta.url);
const schema = await createSchema();
const header = '# Generated from the code by `npm run generate:schema`; do not edit.\n\n';
await writeFile(target, header + printSchema(lexicographicSortSchema(schema)) + '\n');
console.log(`wrote ${target.pathname}`);
