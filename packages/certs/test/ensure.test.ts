import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ensureCerts, BadKeyError, BadNameError, HalfPairError, WouldOverwriteError } from '../src/index.js';
import { tempDir } from './helpers.js';

test('creates a CA and a localhost leaf with private keys mode 0600; Node reads them as RSA-2048 CA and leaf', async () => {
  const t = tempDir();
  try {
    const r = await ensureCerts({ dir: join(t.dir, 'keys') });
    assert.equal(r.names, ['localhost']);
    assert.equal(r.created, [r.caKey, r.caCert, r.key, r.cert]);
    assert.is(r.cert, join(t.dir, 'keys', 'localhost', 'cert.pem'));
    for (const k of [r.caKey, r.key]) assert.is(statSync(k).mode & 0o777, 0o600, k);
    const ca = new X509Certificate(readFileSync(r.caCert));
    const leaf = new X509Certificate(readFileSync(r.cert));
    assert.ok(ca.ca);
    assert.not.ok(leaf.ca);
    assert.ok(leaf.verify(ca.publicKey), 'leaf signed by the CA');
    assert.ok(leaf.checkIssued(ca));
    assert.is(leaf.subject.split('\n').find((l) => l.startsWith('CN=')), 'CN=localhost');
    assert.is(leaf.subjectAltName, 'DNS:localhost');
    assert.ok(leaf.checkPrivateKey(createPrivateKey(readFileSync(r.key))));
    assert.is(createPrivateKey(readFileSync(r.key)).asymmetricKeyDetails?.modulusLength, 2048);
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
    assert.ok(days < 825 && days > 365, `leaf validity ${days} days`);
    assert.ok(leaf.serialNumber !== ca.serialNumber && leaf.serialNumber.length >= 30, 'random 128-bit serials');
  } finally { t.done(); }
});

test('a second call reuses CA and leaf byte for byte and creates nothing', async () => {
  const t = tempDir();
  try {
    const a = await ensureCerts({ dir: t.dir });
    const before = [a.caCert, a.caKey, a.cert, a.key].map((p) => readFileSync(p, 'utf8'));
    const b = await ensureCerts({ dir: t.dir, names: ['localhost'] });
    assert.equal(b.created, []);
    assert.equal([b.caCert, b.caKey, b.cert, b.key].map((p) => readFileSync(p, 'utf8')), before);
  } finally { t.done(); }
});

test('concurrent callers (mock-authz and tls-sink starting together) end up with one CA and one leaf', async () => {
  const t = tempDir();
  try {
    const rs = await Promise.all([1, 2, 3].map(() => ensureCerts({ dir: t.dir })));
    assert.is(rs.filter((r) => r.created.length > 0).length, 1);
    const leaf = new X509Certificate(readFileSync(rs[0].cert));
    assert.ok(leaf.checkIssued(new X509Certificate(readFileSync(rs[0].caCert))));
  } finally { t.done(); }
});

test('names that differ from the existing leaf are refused (73) unless force, which replaces the leaf but never the CA', async () => {
  const t = tempDir();
  try {
    const a = await ensureCerts({ dir: t.dir });
    const leafBefore = readFileSync(a.cert, 'utf8');
    const caBefore = readFileSync(a.caCert, 'utf8');
    await ensureCerts({ dir: t.dir, names: ['localhost', '127.0.0.1'] }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, WouldOverwriteError);
      assert.is(err.code, 'ERR_WOULD_OVERWRITE');
      assert.match(err.message, a.cert);
    });
    assert.is(readFileSync(a.cert, 'utf8'), leafBefore);
    const b = await ensureCerts({ dir: t.dir, names: ['localhost', '127.0.0.1'], force: true });
    assert.equal(b.created, [b.key, b.cert]);
    assert.is(readFileSync(b.caCert, 'utf8'), caBefore);
    assert.is.not(readFileSync(b.cert, 'utf8'), leafBefore);
    assert.is(new X509Certificate(readFileSync(b.cert)).subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.is(statSync(b.key).mode & 0o777, 0o600);
    // a subset of the names is covered: reused
    assert.equal((await ensureCerts({ dir: t.dir, names: ['localhost'] })).created, []);
  } finally { t.done(); }
});

test('a CA certificate without its key (and the reverse) is refused naming both files', async () => {
  const t = tempDir();
  try {
    const a = await ensureCerts({ dir: t.dir });
    rmSync(a.caKey);
    await ensureCerts({ dir: t.dir }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, HalfPairError);
      assert.is(err.code, 'ERR_MISSING_INPUT');
      assert.ok(err.message.includes(a.caCert) && err.message.includes(a.caKey), err.message);
    });
    const u = tempDir();
    try {
      const b = await ensureCerts({ dir: u.dir });
      rmSync(b.caCert);
      await ensureCerts({ dir: u.dir }).then(() => assert.unreachable(), (err) => {
        assert.instance(err, HalfPairError);
        assert.ok(err.message.includes(b.caCert) && err.message.includes(b.caKey), err.message);
      });
    } finally { u.done(); }
  } finally { t.done(); }
});

test('a CA key that does not belong to the CA certificate is refused naming both files', async () => {
  const t = tempDir(), u = tempDir();
  try {
    const a = await ensureCerts({ dir: t.dir });
    const b = await ensureCerts({ dir: u.dir });
    rmSync(a.caKey);
    copyFileSync(b.caKey, a.caKey);
    await ensureCerts({ dir: t.dir }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, BadKeyError);
      assert.is(err.code, 'ERR_BAD_KEY');
      assert.ok(err.message.includes(a.caCert) && err.message.includes(a.caKey), err.message);
    });
  } finally { t.done(); u.done(); }
});

test('a leaf from another CA, an expired leaf, and a garbage key are refused; nothing is overwritten', async () => {
  const t = tempDir(), u = tempDir();
  try {
    const a = await ensureCerts({ dir: t.dir, now: new Date(Date.now() - 900 * 86_400_000) });
    await ensureCerts({ dir: t.dir }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, WouldOverwriteError);
      assert.match(err.message, /expired on/);
    });
    const b = await ensureCerts({ dir: u.dir });
    rmSync(b.cert); rmSync(b.key);
    copyFileSync(a.cert, b.cert); copyFileSync(a.key, b.key);
    await ensureCerts({ dir: u.dir, now: new Date(Date.now() - 800 * 86_400_000) }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, WouldOverwriteError);
      assert.match(err.message, /not issued by/);
    });
    chmodSync(b.key, 0o600);
    writeFileSync(b.key, 'not a key\n');
    await ensureCerts({ dir: u.dir }).then(() => assert.unreachable(), (err) => {
      assert.instance(err, BadKeyError);
      assert.match(err.message, b.key);
    });
    assert.is(readFileSync(b.key, 'utf8'), 'not a key\n');
  } finally { t.done(); u.done(); }
});

test('bad names are refused before anything is written', async () => {
  const t = tempDir();
  try {
    for (const n of ['a..b', 'has space', '-x', '1.2.3', '']) {
      await ensureCerts({ dir: t.dir, names: [n] }).then(() => assert.unreachable(n), (err) => assert.instance(err, BadNameError, n));
    }
  } finally { t.done(); }
});

test('names keep their case (the agent compares CN and SANs case-sensitively)', async () => {
  const t = tempDir();
  try {
    const r = await ensureCerts({ dir: t.dir, names: ['Intake.Test'] });
    const leaf = new X509Certificate(readFileSync(r.cert));
    assert.ok(leaf.subject.includes('CN=Intake.Test'));
    assert.is(leaf.subjectAltName, 'DNS:Intake.Test');
  } finally { t.done(); }
});

test.run();
