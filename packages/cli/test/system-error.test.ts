import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command, number, option } from 'cmd-ts';
import { errorLine, exitCodeOfError, isSystemError, rewriteRawSystemText, runMain, versionRequested } from '../src/index.js';

// Real errors from Node, not hand-made look-alikes: the guard must read what Node actually raises.
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}
const dir = mkdtempSync(join(tmpdir(), 'cli-syserr-'));
const enoent = thrown(() => openSync(join(dir, 'nope', 'x'), 'r'));
const eisdir = thrown(() => openSync(dir, 'w'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a Node fs error becomes "what failed: where: why (CODE)" and keeps its exit code', () => {
  assert.ok(isSystemError(enoent));
  assert.is(errorLine('demo', enoent), `demo: cannot open: ${join(dir, 'nope', 'x')}: no such file or directory (ENOENT)`);
  assert.is(exitCodeOfError(enoent), 66);
  assert.is(errorLine('demo', eisdir), `demo: cannot open: ${dir}: a directory, not a file (EISDIR)`);
});

test('a busy port (EADDRINUSE from a real listen) reads as port busy and exits 69', async () => {
  const a = createServer();
  await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
  const port = (a.address() as { port: number }).port;
  const b = createServer();
  const err = await new Promise<unknown>((r) => b.once('error', r).listen(port, '127.0.0.1'));
  a.close();
  assert.is(errorLine('demo', err), `demo: cannot listen: 127.0.0.1:${port}: address already in use (port busy) (EADDRINUSE)`);
  assert.is(exitCodeOfError(err), 69);
});

test("Node's raw text pasted into a library's message is rewritten, and its code chosen", () => {
  const wrapped = new Error(`cannot read manifest: ${(enoent as Error).message}`);
  assert.is(errorLine('demo', wrapped), `demo: cannot read manifest: ${join(dir, 'nope', 'x')}: no such file or directory (ENOENT)`);
  assert.is(exitCodeOfError(wrapped), 66);
  assert.is(rewriteRawSystemText('x: connect ECONNREFUSED 127.0.0.1:9'), 'x: cannot connect: 127.0.0.1:9: connection refused (nothing listening) (ECONNREFUSED)');
  assert.is(exitCodeOfError(new Error('wrapped', { cause: enoent })), 66);
  assert.is(exitCodeOfError(new Error('a bug')), 70);
});

const cmd = command({ name: 'demo', args: { name: option({ long: 'name', type: number, defaultValue: () => 0 }) }, handler: () => 0 });
test('--version is found anywhere but as an option value or after --', () => {
  assert.ok(versionRequested(cmd, ['--version']));
  assert.ok(versionRequested(cmd, ['sub', '--name', '1', '--version']));
  assert.not.ok(versionRequested(cmd, ['--name', '--version']));
  assert.not.ok(versionRequested(cmd, ['--', '--version']));
});

test('runMain answers --version with "<bin> <version>" from flowmillVersions on stdout, exit 0', async () => {
  let out = '', err = '';
  const saved = process.exitCode;
  await runMain(cmd, { bin: 'certs', argv: ['--version'], stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  const code = process.exitCode;
  process.exitCode = saved;
  assert.is(code, 0);
  assert.is(err, '');
  assert.match(out, /^certs \d+\.\d+\.\d+\n$/);
});

test.run();
