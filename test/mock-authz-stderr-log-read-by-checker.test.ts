// `mock-authz 2> authz.log`, then `checker --authz-log authz.log` (issue 12 item 5): the log a user naturally
// captures holds mock-authz's own lines (readiness, created keys) beside the request lines, and the checker reads
// it as captured: every request counted, decode passes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'authz-stderr-log-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the stderr capture of mock-authz, keys created and all, is an authz log the checker reads', async () => {
  // through a shell, as typed: the redirection is the shell's, mock-authz makes its keys (more lines of its own)
  const sh = spawn('sh', ['-c', `exec node ${root}packages/mock-authz/dist/mock-authz.js --port 0 --keys-dir keys 2> authz.log`], { cwd: dir, stdio: 'ignore', detached: true });
  try {
    let url = '';
    for (let i = 0; i < 200 && !url; i++) {
      await sleep(50);
      const m = existsSync(join(dir, 'authz.log')) ? /ready: listening on (\S+)/.exec(readFileSync(join(dir, 'authz.log'), 'utf8')) : null;
      url = m?.[1] ?? '';
    }
    assert.ok(url, 'no readiness line');
    // a real peer: curl, trusting the CA as the README says (--cacert)
    for (const key of ['KEY1', 'KEY2']) {
      const r = spawnSync('curl', ['-sS', '--fail', '--cacert', join(dir, 'keys', 'ca.pem'), '-H', 'Authorization: Bearer s', '-H', 'Grpc-Metadata-Agent-ID: FAID0123456789ABCDEFGHIJKLMNOPQRSTUV', `${url}/api/v1/auth/keys/${key}`], { encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
    }
  } finally {
    process.kill(-sh.pid!, 'SIGTERM');
    await new Promise((r) => sh.once('close', r));
  }
  const log = readFileSync(join(dir, 'authz.log'), 'utf8');
  assert.match(log, /^mock-authz: created /m); // the capture does hold mock-authz's own lines
  assert.match(log, /^mock-authz: ready: /m);
  const r = spawnSync(process.execPath, [join(root, 'packages/checker/dist/checker.js'), '--authz-log', 'authz.log', '--json'], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { inputs: { kind: string; records: number }[]; checks: { id: string; status: string }[] };
  assert.equal(report.inputs.find((i) => i.kind === 'authzLog')?.records, 2);
  assert.is(report.checks.find((c) => c.id === 'decode')?.status, 'pass');
});

test.run();
