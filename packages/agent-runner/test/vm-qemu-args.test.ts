// The qemu command line of a guest, checked against qemu's documented option syntax (qemu-system-x86_64(1):
// -netdev user,restrict=on,guestfwd=tcp:ADDR:PORT-cmd:COMMAND; -fsdev local,…,readonly=on; a comma in a value is
// written twice) and against what the plan asked for. No qemu is started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planGuest } from '../src/vm/plan.js';
import { fsdevArgs, netdevArg, qemuArgv, qemuEscape } from '../src/vm/qemu-args.js';

const plan = planGuest({ runDir: '/srv/runs/r1', command: 'true', readOnly: ['/opt/agent/kernel-collector', '/usr/lib/node_modules/x/agent-runner.js'] });
const argv = qemuArgv(plan, { vmlinuz: '/k/vmlinuz', initrd: '/t/initramfs.cpio', consoleFile: '/srv/runs/r1/vm-console.log', forwards: [{ guestPort: 7001, hostPort: 7001 }, { guestPort: 8001, hostPort: 18001 }], relay: ['/usr/bin/node', '--no-warnings', '/t/relay.mjs'] });
const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

test('software emulation by default, no disk, no display, no reboot: the guest ends qemu when it powers off or panics', () => {
  assert.is(argv[0], 'qemu-system-x86_64');
  assert.equal(after('-accel'), ['tcg,thread=multi']);
  assert.equal(after('-cpu'), ['max']);
  assert.ok(argv.includes('-no-reboot'));
  assert.equal(after('-kernel'), ['/k/vmlinuz']);
  assert.equal(after('-initrd'), ['/t/initramfs.cpio']);
  const append = after('-append')[0].split(' ');
  for (const w of ['console=ttyS0', 'panic=-1', 'rdinit=/init']) assert.ok(append.includes(w), w);
  assert.equal(after('-serial'), ['file:/srv/runs/r1/vm-console.log']);
  assert.not.ok(argv.some((a) => a.startsWith('-drive') || a === '-hda'));
});

test('--kvm asks for KVM and the host CPU', () => {
  const k = qemuArgv(plan, { vmlinuz: 'v', initrd: 'i', consoleFile: 'c', forwards: [], relay: ['r'], accel: 'kvm' });
  assert.equal(k.filter((_, i) => k[i - 1] === '-accel'), ['kvm']);
  assert.equal(k.filter((_, i) => k[i - 1] === '-cpu'), ['host']);
});

test('one user-mode network, restricted, with one guestfwd per declared port running the relay to the host port', () => {
  const net = after('-netdev');
  assert.is(net.length, 1);
  assert.is(net[0], 'user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:7001-cmd:/usr/bin/node --no-warnings /t/relay.mjs 127.0.0.1 7001,guestfwd=tcp:10.0.2.100:8001-cmd:/usr/bin/node --no-warnings /t/relay.mjs 127.0.0.1 18001');
  assert.equal(after('-device').filter((d) => d.startsWith('virtio-net')), ['virtio-net-pci,netdev=net0']);
});

test('a relay path with a comma or a space is escaped for qemu and quoted for slirp', () => {
  assert.is(netdevArg([{ guestPort: 1, hostPort: 2 }], ['/a b/n,ode']), "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:1-cmd:'/a b/n,,ode' 127.0.0.1 2");
  assert.is(qemuEscape('/x,y,z'), '/x,,y,,z');
});

test('9p: the host /usr and /etc and the shared agent paths read-only, the run directory read-write, each its own tag', () => {
  const fs = after('-fsdev');
  assert.equal(fs, [
    'local,id=fs0,path=/usr,security_model=none,multidevs=remap,readonly=on',
    'local,id=fs1,path=/etc,security_model=none,multidevs=remap,readonly=on',
    'local,id=fs2,path=/srv/runs/r1,security_model=none,multidevs=remap',
    'local,id=fs3,path=/opt/agent,security_model=none,multidevs=remap,readonly=on',
  ]);
  assert.equal(after('-device').filter((d) => d.startsWith('virtio-9p')), ['usr', 'etc', 'run', 'ro0'].map((t, i) => `virtio-9p-pci,fsdev=fs${i},mount_tag=${t}`));
  assert.equal(fsdevArgs({ tag: 't', hostPath: '/p,q', guestPath: '/p,q', readonly: false }, 7), ['-fsdev', 'local,id=fs7,path=/p,,q,security_model=none,multidevs=remap', '-device', 'virtio-9p-pci,fsdev=fs7,mount_tag=t']);
});

test('the plan never shares the host root, and a path under /usr is already in the /usr share', () => {
  assert.throws(() => planGuest({ runDir: '/srv/r', command: 'true', readOnly: ['/kernel-collector'] }), /refusing to share \/ /);
  assert.is(plan.shares.filter((s) => s.hostPath.startsWith('/usr')).length, 0);
  assert.throws(() => planGuest({ runDir: '/usr/local/run', command: 'true' }), /inside a read-only guest share/);
});

test.run();
