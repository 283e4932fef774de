import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin, runPeer, tempDir } from './helpers.js';

test('certs with no arguments: keys/ca.pem + keys/localhost, paths on stdout, how to trust the CA on stderr', async () => {
  const t = tempDir();
  try {
    const r = runBin([], t.dir);
    assert.is(r.status, 0, r.stderr);
    const ca = join(t.dir, 'keys', 'ca.pem'), cert = join(t.dir, 'keys', 'localhost', 'cert.pem'), key = join(t.dir, 'keys', 'localhost', 'key.pem');
    assert.is(r.stdout, `${ca}\n${cert}\n${key}\n`);
    for (const s of ['update-ca-certificates', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', '--cacert']) assert.ok(r.stderr.includes(s), s);
    assert.is(statSync(key).mode & 0o777, 0o600);
    assert.is(statSync(join(t.dir, 'keys', 'ca-key.pem')).mode & 0o777, 0o600);
    assert.is((await runPeer('openssl', ['verify', '-CAfile', ca, cert])).status, 0);
    // again: reused, exit 0, same paths
    const again = runBin(['localhost'], t.dir);
    assert.is(again.status, 0);
    assert.is(again.stdout, r.stdout);
    assert.match(again.stderr, /reusing/);
    // --json
    const j = JSON.parse(runBin(['--json', '-q'], t.dir).stdout);
    assert.is(j.cert, cert);
    assert.is(j.caKey, join(t.dir, 'keys', 'ca-key.pem'));
    assert.equal(j.names, ['localhost']);
    assert.equal(j.created, []);
    // check passes
    const c = runBin(['check'], t.dir);
    assert.is(c.status, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /ok +chain/);
  } finally { t.done(); }
});

test('refusals: other names 73, bad flag 64, bad name 64, half CA 66 naming both files, garbage key 66; each one line', async () => {
  const t = tempDir();
  try {
    assert.is(runBin(['-q', '--dir', 'k'], t.dir).status, 0);
    const cases: [string[], number, RegExp][] = [
      [['-q', '--dir', 'k', 'localhost', 'foo.localhost'], 73, /^certs: refusing to overwrite: .*cert\.pem: .*--force/],
      [['--dir', 'k', '--bogus'], 64, /bogus/],
      [['--dir', 'k', 'bad..name'], 64, /^certs: bad certificate name: "bad\.\.name"/],
      [['--dir', 'k', 'evil.example.com'], 64, /not permitted by the name constraints/],
      [['--dir', 'k/ca.pem'], 73, /^certs: cannot create the key directory: \S*k\/ca\.pem: a file, not a directory, has that name\n$/],
      [['--dir', 'k/ca.pem/sub'], 66, /^certs: cannot create the key directory: \S*k\/ca\.pem\/sub: a file, not a directory, is on its path\n$/],
    ];
    for (const [args, code, re] of cases) {
      const r = runBin(args, t.dir);
      assert.is(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.is(r.stdout, '');
      if (code !== 64 || !args.includes('--bogus')) assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    // --force replaces the leaf, keeps the CA
    const ca = readFileSync(join(t.dir, 'k', 'ca.pem'), 'utf8');
    const f = runBin(['-q', '--dir', 'k', '--force', 'localhost', 'foo.localhost'], t.dir);
    assert.is(f.status, 0, f.stderr);
    assert.is(readFileSync(join(t.dir, 'k', 'ca.pem'), 'utf8'), ca);
    assert.match((await runPeer('openssl', ['x509', '-in', join(t.dir, 'k', 'localhost', 'cert.pem'), '-noout', '-ext', 'subjectAltName'])).out, /DNS:localhost, DNS:foo\.localhost/);
    // garbage key
    writeFileSync(join(t.dir, 'k', 'localhost', 'key.pem'), 'garbage\n');
    const g = runBin(['-q', '--dir', 'k'], t.dir);
    assert.is(g.status, 66, g.stderr);
    assert.match(g.stderr, /^certs: bad key: .*key\.pem/);
    // half CA
    rmSync(join(t.dir, 'k', 'ca-key.pem'));
    const h = runBin(['-q', '--dir', 'k'], t.dir);
    assert.is(h.status, 66, h.stderr);
    assert.ok(h.stderr.includes(join(t.dir, 'k', 'ca.pem')) && h.stderr.includes(join(t.dir, 'k', 'ca-key.pem')), h.stderr);
    assert.is(h.stderr.trim().split('\n').length, 1);
    // check reports the broken directory: exit 1, one summary line on stderr
    const c = runBin(['check', '--dir', 'k'], t.dir);
    assert.is(c.status, 1);
    assert.match(c.stderr, /^certs: check failed: /);
  } finally { t.done(); }
});

test('a leaf for 127.0.0.1 and ::1 (IP SANs), --json, check --json', async () => {
  const t = tempDir();
  try {
    const r = runBin(['-q', '--json', '127.0.0.1', '::1'], t.dir);
    assert.is(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.is(j.leafDir, join(t.dir, 'keys', '127.0.0.1'));
    assert.equal(j.created.length, 4);
    const x = await runPeer('openssl', ['x509', '-in', j.cert, '-noout', '-subject', '-ext', 'subjectAltName']);
    assert.match(x.out, /CN ?= ?127\.0\.0\.1/);
    assert.match(x.out, /IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    const c = JSON.parse(runBin(['check', '--json'], t.dir).stdout);
    assert.is(c.ok, true);
    chmodSync(j.key, 0o644);
    const w = JSON.parse(runBin(['check', '--json'], t.dir).stdout);
    assert.ok(w.items.some((i: { check: string; level: string }) => i.check === 'mode' && i.level === 'warn'));
  } finally { t.done(); }
});

test.run();
