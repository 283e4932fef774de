import { command, flag, number, option, optional, string, subcommands } from 'cmd-ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMain, usageLine } from '../src/index.js';

const cmd = command({ name: 'demo', args: { port: option({ long: 'port', type: number }) }, handler: ({ port }) => (port === 13 ? 75 : 0) });

async function capture(argv: string[], runner: Parameters<typeof runMain>[0] = cmd) {
  let err = '', out = '';
  const saved = process.exitCode;
  await runMain(runner, { bin: 'demo', argv, stderr: { write: (s: string) => (err += s) }, stdout: { write: (s: string) => (out += s) } });
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

// Optional options: cmd-ts on its own reads a trailing one with no value as absent and runs the handler.
let ran: unknown[] = [];
const opts = command({
  name: 'opts',
  args: {
    after: option({ long: 'close-after', type: optional(number) }),
    out: option({ long: 'out', short: 'o', type: optional(string) }),
    quiet: flag({ long: 'quiet', short: 'q' }),
  },
  handler: (a) => {
    ran.push(a);
    return 0;
  },
});
const tree = subcommands({ name: 'tree', cmds: { run: opts, other: command({ name: 'other', args: {}, handler: () => 0 }) } });

for (const [argv, culprit] of [
  [['--close-after'], '--close-after'],
  [['--quiet', '--close-after'], '--close-after'],
  [['--out='], '--out'],
  [['-o'], '-o'],
  [['-qo'], '-o'],
] as const) {
  test(`an option given last without a value is a usage error: ${argv.join(' ')}`, async () => {
    ran = [];
    const r = await capture([...argv], opts);
    assert.is(r.code, 64);
    assert.is(r.err, `demo: bad usage: No value provided: ${culprit} (try 'demo --help')\n`);
    assert.equal(ran, [], 'the handler must not run');
    const sub = await capture(['run', ...argv], tree);
    assert.is(sub.code, 64, `under a subcommand: ${sub.err}`);
    assert.is(sub.err, `demo: bad usage: No value provided: ${culprit} (try 'demo run --help')\n`);
    assert.equal(ran, []);
  });
}

test('a value that looks like a flag, a flag given last, and words after -- are not flagged', async () => {
  ran = [];
  assert.is((await capture(['--out', '--quiet'], opts)).code, 0);
  assert.is((await capture(['--close-after', '5', '--quiet'], opts)).code, 0);
  assert.is((await capture(['-q'], opts)).code, 0);
  assert.equal(ran, [
    { after: undefined, out: '--quiet', quiet: false },
    { after: 5, out: undefined, quiet: true },
    { after: undefined, out: undefined, quiet: true },
  ]);
  const r = await capture(['--', '--out'], opts); // positional after --: cmd-ts's own "Unknown arguments"
  assert.is(r.code, 64);
  assert.not.match(r.err, /No value provided/);
});

test('under subcommands the hint names the subcommand, unless the subcommand itself is the mistake', async () => {
  const bad = await capture(['run', '--bogus'], tree);
  assert.is(bad.code, 64);
  assert.is(bad.err, "demo: bad usage: Unknown arguments: --bogus (try 'demo run --help')\n");
  const wrong = await capture(['rnu'], tree);
  assert.is(wrong.code, 64);
  assert.match(wrong.err, /^demo: bad usage: Not a valid subcommand name: rnu.* \(try 'demo --help'\)\n$/);
});

test.run();
