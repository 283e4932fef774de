// Module names, modinfo strings and closures, on module files made here in the kernel's .modinfo format
// (NUL-separated key=value strings: include/linux/moduleparam.h __MODULE_INFO) and modules.builtin's format.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexModules, moduleClosure, moduleOfFile, parseBuiltin, readModInfo } from '../src/vm/modules.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('module names: dashes are underscores, compression suffixes dropped, other files ignored', () => {
  assert.is(moduleOfFile('nf-conntrack.ko'), 'nf_conntrack');
  assert.is(moduleOfFile('9pnet_virtio.ko.xz'), '9pnet_virtio');
  assert.is(moduleOfFile('modules.dep'), undefined);
});

test('depends= and softdep= are read from the .modinfo strings', () => {
  const mi = readModInfo(enc('\x7fELF..\0license=GPL\0softdep=pre: crc32c\0depends=nf_defrag_ipv4,nf-defrag-ipv6\0name=x\0'));
  assert.equal(mi.depends, ['nf_defrag_ipv4', 'nf_defrag_ipv6']);
  assert.equal(mi.softdeps, ['crc32c']);
  assert.equal(readModInfo(enc('\0depends=\0')).depends, []);
});

test('closure: dependencies before users, soft crypto dependency through its _generic module, built-ins and missing names told apart', () => {
  const index = new Map([['nf_conntrack', 'a'], ['libcrc32c', 'b'], ['crc32c_generic', 'c'], ['nf_defrag_ipv4', 'd']]);
  const info: Record<string, { depends: string[]; softdeps: string[] }> = {
    nf_conntrack: { depends: ['nf_defrag_ipv4', 'libcrc32c'], softdeps: [] },
    libcrc32c: { depends: [], softdeps: ['crc32c'] },
    crc32c_generic: { depends: [], softdeps: [] },
    nf_defrag_ipv4: { depends: [], softdeps: [] },
  };
  const c = moduleClosure(['nf_conntrack', 'virtio_pci', 'no_such'], index, (n) => info[n], new Set(['virtio_pci']));
  assert.equal(c.modules, ['nf_defrag_ipv4', 'crc32c_generic', 'libcrc32c', 'nf_conntrack']);
  assert.equal(c.builtin, ['virtio_pci']);
  assert.equal(c.missing, ['no_such']);
});

test('index and modules.builtin: every module file under the tree, by name', () => {
  const root = mkdtempSync(join(tmpdir(), 'vm-modules-'));
  mkdirSync(join(root, 'net/9p'), { recursive: true });
  writeFileSync(join(root, 'net/9p/9pnet.ko.xz'), '');
  writeFileSync(join(root, 'net/9p/README'), '');
  assert.equal([...indexModules(root)], [['9pnet', 'net/9p/9pnet.ko.xz']]);
  assert.equal([...parseBuiltin('kernel/drivers/virtio/virtio_pci.ko\nkernel/lib/crc-t10dif.ko\n')], ['virtio_pci', 'crc_t10dif']);
});

test.run();
