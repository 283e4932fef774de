// The library entry must work where there is no Node: a browser bundle of it builds, and the only `node:` text left
// in it is the runtime-only specifier loadSchema uses for paths (never reached in a browser unless asked).
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSchema } from '../src/index.js';

const entry = new URL('../src/index.ts', import.meta.url).pathname;

test('the library entry bundles for the browser, with no static node: import and no Buffer', async () => {
  const r = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
  const code = r.outputFiles[0].text;
  assert.not.match(code, /from\s*["']node:/);
  assert.not.match(code, /require\(["']node:/);
  assert.not.match(code, /\bBuffer\./);
  assert.is((code.match(/["']node:[a-z/]+["']/g) ?? []).length, 1, 'only the lazy fs specifier');
});

test('loadSchema reads a .render path under Node and takes an injected reader elsewhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-load-'));
  // renderc's rule (docs/wire-format.md (a) 1): declared number 3 in the range 10-19 is rpc id 13
  const text = 'package t\nnamespace {\n  ingest: 10-19\n}\napp ingest {\n  span s {\n    3: log hello { 1: u32 n }\n  }\n}\n';
  try {
    writeFileSync(join(dir, 'mini.render'), text);
    const fromFile = await loadSchema(join(dir, 'mini.render'));
    const injected = await loadSchema('anything.render', { readFile: async () => text });
    assert.is(fromFile.apps.ingest.byName.get('hello')?.rpcId, 13);
    assert.is(injected.apps.ingest.byName.get('hello')?.rpcId, 13);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
