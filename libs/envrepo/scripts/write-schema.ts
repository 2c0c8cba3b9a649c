// Regenerates docs/schemas/driftless.schema.json from the TypeBox schema (a test checks they match).
import { mkdirSync, writeFileSync } from 'node:fs';
import { environmentJsonSchema } from '../src/index.js';

const target = new URL('../../../docs/schemas/driftless.schema.json', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
