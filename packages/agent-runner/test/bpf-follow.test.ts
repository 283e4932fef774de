// FollowedKernel: the simulated agent's poller reads a real dump as bpf-recorder appends to it (bpf-real/followed-kernel.ts).
// The dump is made here with raw-codec's encoder in the vendored render file's agent_internal layout (u64 ts + message,
// as the collector's --bpf-dump-file: bpf/README.md), written in pieces, one sample cut in the middle.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSchema, RecordEncoder } from '@flowmill/raw-codec';
import { FollowedKernel } from '../src/bpf-real/followed-kernel.js';
import { bpfDir } from '../src/bpf-real/build.js';

const render = join(bpfDir(), 'vendor/opentelemetry-network/render/ebpf_net.render');

test('samples are handed over as the dump grows, a cut sample once complete, by timestamp; the simulator emits nothing', async () => {
  const schema = await loadSchema(render);
  const enc = new RecordEncoder(schema.apps.agent_internal);
  const comm = [...new TextEncoder().encode('workload'), ...new Array(8).fill(0)];
  const a = enc.encode('new_sock_created', 100n, { pid: 7, sk: 0xffff888100001000n });
  const b = enc.encode('pid_set_comm', 200n, { pid: 7, comm });
  const c = enc.encode('new_sock_created', 300n, { pid: 8, sk: 0xffff888100002000n });
  const dump = join(mkdtempSync(join(tmpdir(), 'bpf-follow-')), 'bpf.raw');
  const k = new FollowedKernel(dump, schema);
  assert.equal(k.takeDue(1000n), [], 'no dump yet: nothing, no error');

  writeFileSync(dump, Buffer.concat([a, b.subarray(0, 5)]));
  const first = k.takeDue(1000n);
  assert.equal(first.map((m) => [m.name, m.ts, m.data.pid, m.data.sk]), [['new_sock_created', 100n, 7, 0xffff888100001000n]]);
  // the simulator's own probes (the workload feed, the intake socket's progress) are not the kernel here
  k.emit('pid_info', 150n, { pid: 9 });
  assert.equal(k.takeDue(1000n), []);

  appendFileSync(dump, Buffer.concat([b.subarray(5), c]));
  // a poll at 250 takes only what is due; the later sample waits in the ring for the next poll
  const second = k.takeDue(250n);
  assert.equal(second.map((m) => [m.name, m.ts]), [['pid_set_comm', 200n]]);
  assert.equal(Array.from(second[0].data.comm as Uint8Array), comm);
  assert.equal(k.takeDue(1000n).map((m) => [m.name, m.ts, m.data.pid]), [['new_sock_created', 300n, 8]]);
  assert.equal(k.follow, { bytes: a.length + b.length + c.length, samples: 3 });
  k.close();
});

test.run();
