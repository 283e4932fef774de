// The guest kernel's tcp_connect trace read back into counts. The lines are in tracefs's trace format for a kprobe
// event with u32/u16 fetch args (Documentation/trace/kprobetrace.rst), the values typed in by hand: port 7001 is
// 0x1b59, stored big-endian as bytes 1b 59, which a little-endian u16 fetch prints as 0x591b; 127.0.0.1 is bytes
// 7f 00 00 01, printed by a u32 fetch as 0x100007f; 10.0.2.100 is bytes 0a 00 02 64 → 0x6402000a.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareKernelView, parseKernelTrace } from '../src/vm/kernel-view.js';
import { KPROBE_EVENT } from '../src/vm/guest-init.js';

const trace = `# tracer: nop
#
# entries-in-buffer/entries-written: 3/4   #P:2
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
              nc-193     [000] .N...    16.777512: tcp_connect: (tcp_connect+0x0/0xe40) daddr=0x100007f dport=0x591b
            node-206     [001] .....    25.332313: tcp_connect: (tcp_connect+0x0/0xe40) daddr=0x6402000a dport=0x591b
            node-206     [001] .....    25.432313: tcp_connect: (tcp_connect+0x0/0xe40) daddr=1677852682 dport=16415
`;

test('counts per destination port, per address:port and per task; lost entries from the buffer header', () => {
  const v = parseKernelTrace(trace, '6.1.0-50-amd64');
  assert.is(v.connections, 3);
  // 16415 = 0x401f → bytes 1f 40 → port 0x1f40 = 8000
  assert.equal(v.byPort, { 7001: 2, 8000: 1 });
  assert.equal(v.byDestination, { '127.0.0.1:7001': 1, '10.0.2.100:7001': 1, '10.0.2.100:8000': 1 });
  assert.equal(v.byComm, { nc: 1, node: 2 });
  assert.is(v.lost, 1);
  assert.is(v.kernel, '6.1.0-50-amd64');
});

test('the kprobe event reads skc_daddr at 0 and skc_dport at 12 of struct sock (include/net/sock.h sock_common)', () => {
  assert.match(KPROBE_EVENT, /^p:flowmill\/tcp_connect tcp_connect /);
  assert.match(KPROBE_EVENT, / daddr=\+0\(%di\):u32 /);
  assert.match(KPROBE_EVENT, / dport=\+12\(%di\):u16$/);
});

test('an empty buffer is zero connections', () => {
  assert.is(parseKernelTrace('# tracer: nop\n').connections, 0);
});

const conn = (port: number) => ({ client: { tuple: { remote: { port } } } });
const manifest = { tcp: [conn(5000), conn(5000)], http: [conn(6000)] };

test('the manifest agrees with the kernel when every workload port was connected to exactly as often; other ports do not count', () => {
  const c = compareKernelView(manifest, { byPort: { 5000: 2, 6000: 1, 7001: 1 }, lost: 0 });
  assert.ok(c.ok);
  assert.equal(c.items, [{ port: 5000, what: 'tcp', manifest: 2, kernel: 2 }, { port: 6000, what: 'http', manifest: 1, kernel: 1 }]);
});

test('one connect more or fewer on a workload port disagrees; a buffer that lost entries may only undercount', () => {
  assert.not.ok(compareKernelView(manifest, { byPort: { 5000: 1, 6000: 1 }, lost: 0 }).ok);
  assert.not.ok(compareKernelView(manifest, { byPort: { 5000: 3, 6000: 1 }, lost: 0 }).ok);
  assert.ok(compareKernelView(manifest, { byPort: { 5000: 1, 6000: 1 }, lost: 2 }).ok);
  assert.not.ok(compareKernelView(manifest, { byPort: { 5000: 3, 6000: 1 }, lost: 2 }).ok);
});

test.run();
