// CA + leaf creation, whole process, @flowmill/certs against its peers measured in the same run (docs/development.md "Benchmarks"):
//   ours:    `node packages/certs/dist/certs.js -q` in a fresh temp dir (CA + localhost leaf, RSA-2048 each)
//   mkcert:  `CAROOT=<tmp>/ca mkcert localhost` in a fresh temp dir (CA + leaf; mkcert's CA is RSA-3072)
//   openssl: `openssl req -x509 …` (CA) + `openssl req -newkey …` + `openssl x509 -req …` (leaf), three processes
//   reuse:   ours again in a directory that already has both (what mock-authz and tls-sink do on every start)
// RSA key generation dominates and its time varies a lot from key to key (prime search), so RUNS runs, medians.
// Run after `npm run build`: node tools/bench/certs.mjs [RUNS]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const bundle = join(root, 'packages/certs/dist/certs.js');
const RUNS = Number(process.argv[2] ?? 9);

function timed(cmd, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

const peers = {
  ours: (dir) => timed(process.execPath, [bundle, '-q'], { cwd: dir }),
  reuse: (dir) => { timed(process.execPath, [bundle, '-q'], { cwd: dir }); return timed(process.execPath, [bundle, '-q'], { cwd: dir }); },
  mkcert: (dir) => timed('mkcert', ['localhost'], { cwd: dir, env: { ...process.env, CAROOT: join(dir, 'ca') } }),
  openssl: (dir) => {
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    let ms = timed('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=bench CA'], { cwd: dir });
    ms += timed('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost'], { cwd: dir });
    ms += timed('openssl', ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-set_serial', '2', '-days', '820', '-extfile', 'ext.cnf', '-out', 'cert.pem'], { cwd: dir });
    return ms;
  },
};

const times = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, run] of Object.entries(peers)) { // interleaved, so drift hits every peer alike
    const dir = mkdtempSync(join(tmpdir(), `bench-certs-${name}-`));
    try { times[name].push(run(dir)); } finally { rmSync(dir, { recursive: true, force: true }); }
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const result = {
  runs: RUNS,
  medianMs: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, Math.round(v)])),
  minMaxMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, [Math.round(Math.min(...v)), Math.round(Math.max(...v))]])),
  ratios: { 'ours/mkcert': +(med.ours / med.mkcert).toFixed(2), 'ours/openssl': +(med.ours / med.openssl).toFixed(2), 'reuse/ours': +(med.reuse / med.ours).toFixed(2) },
};
const lines = [
  `certs: CA + leaf, whole process, median of ${RUNS} (lower is better)`,
  ...Object.entries(result.medianMs).map(([k, v]) => `  ${k.padEnd(8)} ${String(v).padStart(6)} ms   (min ${result.minMaxMs[k][0]}, max ${result.minMaxMs[k][1]})`),
  `  ratio ours/mkcert  ${result.ratios['ours/mkcert']}   (< 1: faster than mkcert)`,
  `  ratio ours/openssl ${result.ratios['ours/openssl']}   (three openssl processes)`,
  `  reuse/ours         ${result.ratios['reuse/ours']}   (a second run only reads and checks)`,
];
console.log(lines.join('\n'));
mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
writeFileSync(join(root, 'tools/bench/out/certs.json'), `${JSON.stringify(result, null, 2)}\n`);
