import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, option, optional } from 'cmd-ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExistingFile, NewFile, PemFile, runMain } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-file-args-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const pem = join(dir, 'cert.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
const text = join(dir, 'notes.txt');
writeFileSync(text, 'hello\n');
mkdirSync(join(dir, 'sub'));

let seen: unknown[] = [];
const cmd = command({
  name: 'demo',
  args: {
    input: option({ long: 'in', type: optional(ExistingFile) }),
    cert: option({ long: 'cert', type: optional(PemFile) }),
    out: option({ long: 'out', type: optional(NewFile) }),
  },
  handler: (a) => {
    seen.push(a);
    return 0;
  },
});

async function run(argv: string[]) {
  let err = '';
  const saved = process.exitCode;
  seen = [];
  await runMain(cmd, { bin: 'demo', argv, stderr: { write: (s: string) => (err += s) }, stdout: { write: () => true } });
  const code = process.exitCode;
  process.exitCode = saved;
  return { err, code, ran: seen.length > 0 };
}

test('files that are there pass through as paths', async () => {
  const r = await run(['--in', text, '--cert', pem, '--out', join(dir, 'new.raw')]);
  assert.is(r.code, 0, r.err);
  assert.equal(seen, [{ input: text, cert: pem, out: join(dir, 'new.raw') }]);
});

for (const [argv, code, line] of [
  [['--in', join(dir, 'absent')], 66, `demo: cannot read: ${join(dir, 'absent')}: no such file\n`],
  [['--in', join(dir, 'sub')], 66, `demo: cannot read: ${join(dir, 'sub')}: a directory, not a file\n`],
  [['--in', join(text, 'x')], 66, `demo: cannot read: ${join(text, 'x')}: a file, not a directory, is on its path\n`],
  [['--cert', text], 66, `demo: not a PEM file: ${text}: no '-----BEGIN' line\n`],
  [['--cert', join(dir, 'absent.pem')], 66, `demo: cannot read: ${join(dir, 'absent.pem')}: no such file\n`],
  [['--out', join(dir, 'nodir', 'x.raw')], 66, `demo: cannot create: ${join(dir, 'nodir', 'x.raw')}: its directory does not exist\n`],
  [['--out', join(dir, 'sub')], 66, `demo: cannot create: ${join(dir, 'sub')}: a directory has that name\n`],
] as const) {
  test(`a refused file argument exits ${code} with one line, not a usage error: ${argv.join(' ').replace(dir, '$TMP')}`, async () => {
    const r = await run([...argv]);
    assert.is(r.code, code, r.err);
    assert.is(r.err, line);
    assert.not.ok(r.ran, 'the handler must not run');
  });
}

test('a usage error next to a good file argument is still 64, and an old refusal does not leak into it', async () => {
  await run(['--in', join(dir, 'absent')]);
  const r = await run(['--in', text, '--bogus']);
  assert.is(r.code, 64);
  assert.match(r.err, /^demo: bad usage: Unknown arguments: --bogus/);
});

test.run();
