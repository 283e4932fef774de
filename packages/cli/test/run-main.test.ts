import { command, number, option } from 'cmd-ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMain, usageLine } from '../src/index.js';

const cmd = command({ name: 'demo', args: { port: option({ long: 'port', type: number }) }, handler: ({ port }) => (port === 13 ? 75 : 0) });

async function capture(argv: string[]) {
  let err = '', out = '';
  const saved = process.exitCode;
  await runMain(cmd, { bin: 'demo', argv, stderr: { write: (s: string) => (err += s) }, stdout: { write: (s: string) => (out += s) } });
  const code = process.exitCode;
  process.exitCode = saved;
  return { err, out, code };
}

test('a parse error is one line on stderr and exit 64', async () => {
  const r = await capture(['--port', '1', '--bogus']);
  assert.is(r.code, 64);
  assert.is(r.err.trimEnd().split('\n').length, 1, r.err);
  assert.match(r.err, /^demo: bad usage: Unknown arguments: --bogus \(try 'demo --help'\)\n$/);
  assert.is(r.out, '');
});

test('help goes to stdout with exit 0, and the handler result is the exit code', async () => {
  const h = await capture(['--help']);
  assert.is(h.code, 0);
  assert.match(h.out, /--port/);
  assert.is((await capture(['--port', '13'])).code, 75);
});

test('usageLine keeps every culprit when cmd-ts reports several', () => {
  const line = usageLine('demo', 'error: found 2 errors\n\n  --nope x\n  ^ Unknown arguments\n\n  --nope x\n         ^ Unknown arguments\n\nhint: x');
  assert.match(line, /Unknown arguments: --nope; Unknown arguments: x/);
});

test.run();
