// Mutation fuzzing of raw-codec's decoders, shared by test/fuzz.test.ts (a fast sample) and
// tools/bench/raw-codec-fuzz.mjs (a million cases or more). `lib` is the library module (src or dist).
// A case passes when decoding ends normally, or throws one of the library's errors (TruncatedError/CorruptError/…)
// that says where; anything else (TypeError, RangeError, a hang) is a bug. On success of a record file or BPF dump
// the records must cover every input byte (nothing skipped silently).

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cat(parts) {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Real-looking recordings of both eras: intake captures (2 connections), record files, BPF dumps. */
export function makeSeeds(lib) {
  const seeds = [];
  for (const name of ['flowmill', 'ebpf_net']) {
    const s = lib.builtinSchema(name);
    const e = new lib.RecordEncoder(s.apps.ingest);
    const vi = s.apps.ingest.byName.get('version_info');
    const T = 1_700_000_000_000_000_000n;
    const conn = (k) => {
      const r = [e.encode('version_info', T, Object.fromEntries(vi.fields.map((f, i) => [f.name, [0, 9, 4321][i]])))];
      r.push(name === 'flowmill' ? e.encode('authz_authenticate', T, { token: 'tok', collector_type: 1, hostname: 'h' }) : e.encode('connect', T, { collector_type: 1, hostname: 'h' }));
      for (let i = 0; i < 24; i++) {
        const t = T + BigInt(i * 1000 + k);
        if (i % 4 === 0) r.push(e.encode('set_config_label', t, { key: `k${i}`, value: 'v'.repeat(i % 7) }));
        else if (i % 4 === 1) r.push(e.encode('socket_stats', t, { sk: 0xffff888000000000n + BigInt(i), diff_bytes: BigInt(i), diff_delivered: i, diff_retrans: 0, max_srtt: 3, is_rx: 1 }));
        else if (i % 4 === 2) r.push(e.encode('new_sock_info', t, { pid: i, sk: BigInt(i) }));
        else r.push(e.encode('heartbeat', t, {}));
      }
      return r;
    };
    const a = conn(0), b = conn(1);
    seeds.push({ kind: 'intake', bytes: cat([lib.encodeIntake(lib.packFlushes(a.slice(1), 200), a[0]), lib.encodeIntake(lib.packFlushes(b.slice(1), 300), b[0])]) });
    seeds.push({ kind: 'record', bytes: cat([...a, ...b]) });
    const ai = new lib.RecordEncoder(s.apps.agent_internal);
    const d = [];
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 0) d.push(ai.encode('dns_packet', T + BigInt(i), { sk: BigInt(i), pkt: { hex: '00'.repeat(i % 30) }, total_len: i, is_rx: 1 }));
      else if (i % 3 === 1) d.push(ai.encode('new_sock_created', T + BigInt(i), { pid: i, sk: BigInt(i) }));
      else d.push(ai.encode('close_sock_info', T + BigInt(i), { sk: BigInt(i) }));
    }
    seeds.push({ kind: 'bpf', bytes: cat(d), schema: s });
  }
  return seeds;
}

/** One random mutation of bytes. */
export function mutate(bytes, r, others) {
  const b = bytes.slice();
  const n = 1 + Math.floor(r() * 4);
  let out = b;
  for (let k = 0; k < n; k++) {
    const op = Math.floor(r() * 8);
    const at = Math.floor(r() * out.length);
    if (op === 0) out[at] ^= 1 << Math.floor(r() * 8); // bit flip
    else if (op === 1) out[at] = Math.floor(r() * 256); // random byte
    else if (op === 2) out[at] = [0, 0xff, 0x7f, 0x80][Math.floor(r() * 4)]; // interesting byte
    else if (op === 3) out = out.subarray(0, at); // truncate
    else if (op === 4) { const len = Math.floor(r() * 16); out = cat([out.subarray(0, at), out.subarray(Math.min(out.length, at + len))]); } // delete
    else if (op === 5) { const len = 1 + Math.floor(r() * 16); const ins = Uint8Array.from({ length: len }, () => Math.floor(r() * 256)); out = cat([out.subarray(0, at), ins, out.subarray(at)]); } // insert
    else if (op === 6) { const from = Math.floor(r() * out.length); const len = Math.floor(r() * 64); out = cat([out.subarray(0, at), out.subarray(from, from + len), out.subarray(at)]); } // duplicate a span
    else { const o = others[Math.floor(r() * others.length)]; const from = Math.floor(r() * o.length); out = cat([out.subarray(0, at), o.subarray(from)]); } // splice another input
  }
  return out;
}

/** Decodes `bytes` in random chunks; returns 'ok' | error code; throws on a bug. */
export function runCase(lib, bytes, r, seed) {
  const kinds = ['auto', seed.kind];
  const kind = kinds[Math.floor(r() * 2)];
  const schema = r() < 0.5 ? 'auto' : lib.builtinSchema(r() < 0.5 ? 'flowmill' : 'ebpf_net');
  let covered = 0;
  const full = r() < 0.2; // build record objects and NDJSON for some cases, count only for the rest
  const sink = {
    record(m, dv, u8, off, size, segment, offset, frame) {
      covered += size;
      if (full) {
        const len = size - 8;
        m.data(dv, u8, off, len);
        m.ref(dv, u8, off, len);
        m.line(dv, u8, off, len, segment);
        const out = new Uint8Array(m.maxLine(len));
        const end = m.lineBytes(dv, u8, off, len, segment, out, 0);
        if (end > out.length) throw new Error(`maxLine too small for ${m.name}`);
      }
    },
  };
  // Half the cases go on past connections cut inside a frame (decode --allow-cut).
  const d = new lib.StreamDecoder(sink, { kind, schema, onCut: r() < 0.5 ? undefined : (e) => { if (!(e instanceof lib.TruncatedError) || !Number.isInteger(e.offset)) throw new Error('bad cut report'); } });
  try {
    let p = 0;
    while (p < bytes.length) {
      const n = r() < 0.5 ? bytes.length - p : 1 + Math.floor(r() * 256);
      d.push(bytes.subarray(p, p + n));
      if (r() < 0.05) d.push(new Uint8Array(0)); // an idle source (--follow)
      p += n;
    }
    d.end();
  } catch (e) {
    if (e instanceof lib.RawCodecError && (e.code === 'ERR_TRUNCATED' || e.code === 'ERR_CORRUPT') && (e.offset === undefined || Number.isInteger(e.offset))) return e.code;
    throw e;
  }
  if (d.kind !== 'intake' && d.kind !== null && covered !== bytes.length) throw new Error(`decoded ${covered} of ${bytes.length} bytes of a ${d.kind} input without an error`);
  return 'ok';
}

/** Runs `n` cases from `seed0`; returns counts by outcome. Throws (with the case's seed) on the first bug. */
export function fuzz(lib, n, seed0 = 1) {
  const seeds = makeSeeds(lib);
  const all = seeds.map((s) => s.bytes);
  const counts = { ok: 0, ERR_TRUNCATED: 0, ERR_CORRUPT: 0 };
  let slowest = 0;
  for (let i = 0; i < n; i++) {
    const r = rng(seed0 + i);
    const seed = seeds[Math.floor(r() * seeds.length)];
    const bytes = r() < 0.05 ? seed.bytes : mutate(seed.bytes, r, all);
    const t = performance.now();
    try {
      counts[runCase(lib, bytes, r, seed)]++;
    } catch (e) {
      const err = new Error(`fuzz case ${seed0 + i} (${seed.kind} seed, ${bytes.length} bytes): ${e?.stack ?? e}`);
      err.bytes = bytes;
      throw err;
    }
    slowest = Math.max(slowest, performance.now() - t);
  }
  return { cases: n, ...counts, slowestMs: slowest };
}
