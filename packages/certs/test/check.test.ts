import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCerts, ensureCerts } from '../src/index.js';
import { runPeer, tempDir } from './helpers.js';

test('a fresh directory checks ok: CA, key match, chain, names, modes', async () => {
  const t = tempDir();
  try {
    const r = await ensureCerts({ dir: t.dir });
    const c = await checkCerts({ dir: t.dir });
    assert.ok(c.ok, JSON.stringify(c.items, null, 1));
    for (const check of ['expiry', 'key', 'mode', 'ca', 'chain', 'names']) assert.ok(c.items.some((i) => i.check === check && i.level === 'ok'), check);
    assert.ok(c.items.some((i) => i.path === r.cert && i.check === 'chain'));
  } finally { t.done(); }
});

test('expiry: an expired leaf fails, one about to expire warns (the seed shipped an expired certificate)', async () => {
  const t = tempDir();
  try {
    const r = await ensureCerts({ dir: t.dir });
    const later = await checkCerts({ dir: t.dir, now: new Date(Date.now() + 830 * 86_400_000) });
    assert.not.ok(later.ok);
    assert.ok(later.items.some((i) => i.path === r.cert && i.check === 'expiry' && i.level === 'fail' && /expired on/.test(i.message)));
    const soon = await checkCerts({ dir: t.dir, now: new Date(Date.now() + 805 * 86_400_000) });
    assert.ok(soon.ok);
    assert.ok(soon.items.some((i) => i.path === r.cert && i.check === 'expiry' && i.level === 'warn'));
  } finally { t.done(); }
});

test("a leaf made by openssl with another CA, a swapped key and a world-readable key are each reported", async () => {
  const t = tempDir(), u = tempDir();
  try {
    const r = await ensureCerts({ dir: t.dir });
    const other = await ensureCerts({ dir: u.dir, names: ['other.localhost'] });
    // a leaf from a foreign CA, made by openssl (the real peer), in its own leaf dir
    mkdirSync(join(t.dir, 'foreign'));
    const fk = join(t.dir, 'foreign', 'key.pem'), fc = join(t.dir, 'foreign', 'cert.pem');
    const mk = await runPeer('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', fk, '-out', fc, '-days', '30', '-subj', '/CN=foreign', '-addext', 'subjectAltName=DNS:foreign']);
    assert.is(mk.status, 0, mk.out);
    chmodSync(fk, 0o644);
    rmSync(r.key);
    copyFileSync(other.key, r.key);
    const c = await checkCerts({ dir: t.dir });
    assert.not.ok(c.ok);
    assert.ok(c.items.some((i) => i.path === fc && i.check === 'chain' && i.level === 'fail'));
    assert.ok(c.items.some((i) => i.path === fk && i.check === 'mode' && i.level === 'warn'));
    assert.ok(c.items.some((i) => i.path === r.key && i.check === 'key' && i.level === 'fail'));
  } finally { t.done(); u.done(); }
});

test("minica's layout (minica.pem, minica-key.pem) is checked too; a half leaf and a missing CA fail", async () => {
  const t = tempDir();
  try {
    const r = await ensureCerts({ dir: t.dir });
    copyFileSync(r.caCert, join(t.dir, 'minica.pem'));
    copyFileSync(r.caKey, join(t.dir, 'minica-key.pem'));
    rmSync(r.caCert); rmSync(r.caKey);
    const c = await checkCerts({ dir: t.dir });
    assert.ok(c.ok, JSON.stringify(c.items));
    assert.ok(c.items.some((i) => i.path === join(t.dir, 'minica.pem') && i.check === 'ca'));
    rmSync(r.key);
    writeFileSync(join(t.dir, 'README.md'), 'not a cert dir');
    const d = await checkCerts({ dir: t.dir });
    assert.ok(d.items.some((i) => i.path === r.key && i.check === 'present' && i.level === 'fail'));
    const empty = await checkCerts({ dir: join(t.dir, 'nope') });
    assert.not.ok(empty.ok);
  } finally { t.done(); }
});

test.run();
