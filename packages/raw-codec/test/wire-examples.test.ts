// The worked examples of docs/wire-format.md (b) and (d), with the hex copied from the document (not made by our encoder).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, decodeBytes, toJsonLine, RecordEncoder, type DecodedRecord } from '../src/index.js';
import { cat, hex } from './helpers.js';

const TS = '01 00 00 00 00 00 b8 16'; // 0x16b8000000000001
const ts = 0x16b8000000000001n;
const flowmill = builtinSchema('flowmill');
const versionInfo = hex(`${TS} | 36 01 | 00 00 | 00 00 00 00 | 09 00 00 00 | e1 10 00 00`);

/** Decodes one example record as the second record of a Flowmill record file (version_info first). */
function second(bytes: Uint8Array): DecodedRecord {
  const recs = decodeBytes(cat(versionInfo, bytes), { kind: 'record', schema: flowmill });
  assert.is(recs.length, 2);
  return recs[1];
}

test('example 1: version_info(0, 9, 4321) is rpc 310, 24 bytes', () => {
  const [r] = decodeBytes(versionInfo, { kind: 'record', schema: flowmill });
  assert.equal([r.name, r.rpc_id, r.timestamp, r.size, r.data], ['version_info', 310, ts, 24, { major: 0, minor: 9, build: 4321 }]);
});

test('example 2: authz_authenticate("TOKEN", 1, "host1"), 25 bytes, hostname takes the rest of _len', () => {
  const bytes = hex(`${TS} | 94 01 | 11 00 | 05 00 | 01 | 54 4f 4b 45 4e | 68 6f 73 74 31`);
  const r = second(bytes);
  assert.equal([r.name, r.rpc_id, r.size, r.data], ['authz_authenticate', 404, 25, { token: 'TOKEN', collector_type: 1, hostname: 'host1' }]);
  const enc = new RecordEncoder(flowmill.apps.ingest).encode('authz_authenticate', ts, { token: 'TOKEN', collector_type: 1, hostname: 'host1' });
  assert.equal(Array.from(enc), Array.from(bytes), 'our encoder writes the document\'s bytes');
});

test('example 3: container_metadata with 9 strings, 44 bytes', () => {
  // The document's `01..08` is cgroup's bytes 01 02 … 08 and `00 00 ×5` five empty u16 slots (ip_addr … task_version).
  const bytes = hex(`${TS} | 8c 01 | 24 00 | 01 00 | 02 00 | 01 02 03 04 05 06 07 08 | 03 00 | 00 ×10 | 61 62 62 63 63 63 7a 7a`);
  const r = second(bytes);
  assert.equal([r.name, r.rpc_id, r.size], ['container_metadata', 396, 44]);
  assert.equal(r.data, { cgroup: 0x0807060504030201n, id: 'a', name: 'bb', image: 'ccc', ip_addr: '', cluster: '', container_name: '', task_family: '', task_version: '', ns: 'zz' });
  assert.is(r.ref, 0x0807060504030201n, 'container_metadata is `ref cgroup`');
});

test('example 4: aws_network_interface_start, synthesized u128 ip and _ref', () => {
  const bytes = hex(`${TS} | 96 01 | 00 ×6 | 88 77 66 55 44 33 22 11 | 02 01 00 ×13 80`);
  const r = second(bytes);
  assert.equal([r.name, r.rpc_id, r.size], ['aws_network_interface_start', 406, 40]);
  assert.equal(r.data, { ip: (1n << 127n) | 0x0102n, _ref: 0x1122334455667788n });
  assert.is(r.ref, 0x1122334455667788n);
  assert.match(toJsonLine(r), `"data":{"ip":"${(1n << 127n) | 0x0102n}","_ref":"${0x1122334455667788n}"}`);
});

test('example 5: report_task_status (agent_internal, flowmill only) at the documented offsets, 204-byte dump entry', () => {
  const u64s = ['tgid', 'user_time_ns', 'system_time_ns', 'resident_pages_file_mapping', 'resident_pages_anonymous', 'resident_pages_shared_memory',
    'minor_page_faults', 'major_page_faults', 'block_io_delay_ns', 'swap_in_delay_ns', 'free_pages_delay_ns', 'thrashing_page_delay_ns',
    'read_syscalls', 'write_syscalls', 'bytes_logically_read', 'bytes_logically_written', 'bytes_physically_read', 'bytes_physically_written',
    'cancelled_write_bytes', 'voluntary_context_switches', 'involuntary_context_switches'];
  const buf = new Uint8Array(204);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, ts, true);
  dv.setUint16(8, 377, true);
  dv.setUint8(8 + 2, 1); // on_exit@2
  dv.setUint32(8 + 4, 4242, true); // pid@4
  u64s.forEach((_, i) => dv.setBigUint64(8 + 8 + 8 * i, BigInt(i + 1) * 1000n, true)); // @8…@168
  const u32s = { thread_count: 176, block_io_delay_count: 180, swap_in_delay_count: 184, free_pages_delay_count: 188, thrashing_page_delay_count: 192 };
  Object.values(u32s).forEach((o, i) => dv.setUint32(8 + o, 70 + i, true));
  const [r] = decodeBytes(buf, { kind: 'bpf', schema: flowmill });
  assert.equal([r.name, r.rpc_id, r.size, r.app], ['report_task_status', 377, 204, 'agent_internal']);
  assert.is(r.data.on_exit, 1);
  assert.is(r.data.pid, 4242);
  u64s.forEach((n, i) => assert.is(r.data[n], BigInt(i + 1) * 1000n, n));
  Object.keys(u32s).forEach((n, i) => assert.is(r.data[n], 70 + i, n));
});

test('example 6: report_process_status slots and fields at the documented offsets', () => {
  const m = flowmill.apps.ingest.byName.get('report_process_status')!;
  const at = Object.fromEntries(m.fields.map((f) => [f.name, f.offset]));
  assert.equal([m.rpcId, m.wireSize], [509, 51]);
  assert.equal([at.start_time_ticks, at.user_time_ticks, at.sample_timestamp_ns, at._ref, at.system_time_ticks, at.guest_time_ticks, at.process_state, at.children_guest_time_ticks],
    [4, 6, 8, 16, 24, 48, 50, null]);
});

test('example 7: dns_packet from a BPF dump, packet bytes as {hex} (not UTF-8)', () => {
  const bytes = hex(`${TS} | 4b 01 | 13 00 | 03 00 | 01 | 00 | 78 56 34 12 80 88 ff ff | ab cd ef`);
  const [r] = decodeBytes(bytes, { kind: 'bpf', schema: flowmill });
  assert.equal([r.name, r.rpc_id, r.size], ['dns_packet', 331, 27]);
  assert.equal(r.data, { sk: 0xffff888012345678n, pkt: { hex: 'abcdef' }, total_len: 3, is_rx: 1 });
  assert.match(toJsonLine(r), `"data":{"sk":"${0xffff888012345678n}","pkt":{"hex":"abcdef"},"total_len":3,"is_rx":1}`);
});

test('(d): raw version_info then the 25-byte heartbeat frame `04 22 4D 18 40 40 C0 | 0a 00 00 80 | record | 00 00 00 00`', () => {
  const heartbeat = `${TS} 88 01`;
  const capture = cat(versionInfo, hex(`04 22 4D 18 40 40 C0 | 0a 00 00 80 | ${heartbeat} | 00 00 00 00`), hex(`04 22 4D 18 40 40 C0 | 0a 00 00 80 | ${heartbeat} | 00 00 00 00`));
  let info: unknown;
  const recs = decodeBytes(capture, { onInfo: (i) => (info = i) });
  assert.equal(recs.map((r) => [r.name, r.segment, r.offset, r.frame]), [['version_info', 0, 0, undefined], ['heartbeat', 0, 24, 0], ['heartbeat', 0, 34, 1]]);
  assert.equal((info as { kind: string }).kind, 'intake');
  assert.equal((info as { schemaConfidence: string }).schemaConfidence, 'low', 'heartbeat as second record cannot tell the era: said so');
});

test.run();
