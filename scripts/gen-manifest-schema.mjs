// Writes the JSON schema of the gateway config (the engine's configJsonSchema, generated from its zod schema)
// into package.json as the schema of the `codexGateway.config` setting, so the settings editor validates and
// completes exactly what the engine accepts. Only that one key of package.json is changed.
// Usage: node --import tsx scripts/gen-manifest-schema.mjs [--check]
//   --check: exit 1 (and say so) when package.json is out of date instead of writing it.
// The unit test test/unit/extension-manifest.test.ts fails when package.json and the engine schema differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { configSettingSchema } = require('../src/extension/manifest.ts');

const file = `${root}package.json`;
const text = readFileSync(file, 'utf8');
const pkg = JSON.parse(text);
const props = pkg.contributes?.configuration?.properties;
if (!props || !props['codexGateway.config']) {
  console.error('package.json has no contributes.configuration.properties["codexGateway.config"]; add the setting first.');
  process.exit(1);
}
const want = configSettingSchema(props['codexGateway.config']);
if (JSON.stringify(want) === JSON.stringify(props['codexGateway.config'])) {
  console.log('package.json: codexGateway.config schema is up to date');
  process.exit(0);
}
if (process.argv.includes('--check')) {
  console.error('package.json: the codexGateway.config schema differs from the engine schema; run node --import tsx scripts/gen-manifest-schema.mjs');
  process.exit(1);
}
props['codexGateway.config'] = want;
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
console.log('package.json: codexGateway.config schema updated');
