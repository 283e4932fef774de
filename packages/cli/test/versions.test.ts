import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flowmillVersions } from '../src/index.js';

const own = (dir: string) => JSON.parse(readFileSync(new URL(`../../${dir}/package.json`, import.meta.url), 'utf8')) as { name: string; version: string };

test('run from source, the versions are read from each package.json of the workspace', () => {
  const v = flowmillVersions();
  for (const dir of ['cli', 'raw-codec', 'recipe', 'tls-sink']) assert.is(v[own(dir).name], own(dir).version, dir);
  assert.ok(Object.keys(v).every((name) => name.startsWith('@flowmill/')), Object.keys(v).join(' '));
  v['@flowmill/cli'] = 'changed';
  assert.is.not(flowmillVersions()['@flowmill/cli'], 'changed', 'callers get a copy');
});

test.run();
