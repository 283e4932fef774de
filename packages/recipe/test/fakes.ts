// Fakes of the composed packages for the recipe's own tests: real sockets and files, no protocol.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { CheckReportLike, RecipeDeps, SimAgentLike } from '../src/index.js';

export interface FakeOptions {
  checksOk?: boolean;
  /** The simulated agent never becomes ready. */
  neverReady?: boolean;
  /** The simulated agent ends on its own this many ms after ready. */
  dieAfterMs?: number;
  /** The workload takes this long (ms). */
  workloadMs?: number;
  /** Throw from decode. */
  decodeError?: Error;
  /** The checker ran nothing (no recordings it could use): ok, but nothing passed. */
  noneRun?: boolean;
}

export interface FakeCalls {
  steps: string[];
  checkInputs?: unknown;
  open: Set<string>;
}

function listen(port: number, onConn: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer(onConn);
    srv.once('error', (err) => reject(err));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

export function fakeDeps(o: FakeOptions = {}): { deps: RecipeDeps; calls: FakeCalls } {
  const calls: FakeCalls = { steps: [], open: new Set() };
  const deps: RecipeDeps = {
    versions: { fake: '0' },
    async ensureCerts(a) {
      calls.steps.push('certs');
      mkdirSync(join(a.dir, 'localhost'), { recursive: true });
      const ca = join(a.dir, 'ca.pem');
      writeFileSync(join(a.dir, 'localhost', 'cert.pem'), 'CERT');
      writeFileSync(join(a.dir, 'localhost', 'key.pem'), 'KEY');
      writeFileSync(ca, 'CA');
      return { caCert: ca, cert: join(a.dir, 'localhost', 'cert.pem'), key: join(a.dir, 'localhost', 'key.pem'), created: [] };
    },
    async startAuthz(a) {
      calls.steps.push('authz');
      const srv = await listen(a.port, (s) => (s.on('error', () => {}), s.end()));
      calls.open.add('authz');
      const port = (srv.address() as { port: number }).port;
      return { url: `http://localhost:${port}`, port, close: () => new Promise<void>((r) => srv.close(() => (calls.open.delete('authz'), r()))) };
    },
    async startSink(a) {
      calls.steps.push('sink');
      mkdirSync(a.dir, { recursive: true });
      const connections: { id: number; file: string; bytes: number }[] = [];
      const socks = new Set<Socket>();
      const srv = await listen(a.port, (s) => {
        socks.add(s);
        s.on('error', () => {}); // the fake agent's end may reset
        const id = connections.length + 1;
        const file = `conn-${String(id).padStart(4, '0')}.raw`;
        const c = { id, file, bytes: 0, peer: '127.0.0.1', start: new Date().toISOString() };
        connections.push(c);
        a.onEvent({ type: 'connection', conn: c });
        s.on('data', (d) => {
          c.bytes += d.length;
          writeFileSync(join(a.dir, file), d, { flag: 'a' });
        });
        s.on('close', () => socks.delete(s));
      });
      calls.open.add('sink');
      const port = (srv.address() as { port: number }).port;
      return {
        url: `tcp://127.0.0.1:${port}`,
        port,
        connections,
        close: () =>
          new Promise<void>((r) => {
            for (const s of socks) s.destroy();
            srv.close(() => (calls.open.delete('sink'), r()));
          }),
      };
    },
    async runSimAgent(a): Promise<SimAgentLike> {
      calls.steps.push('sim');
      calls.open.add('agent');
      const sock = connect(a.intake.port, '127.0.0.1');
      sock.on('error', () => {}); // the fake sink destroys its sockets when it closes
      let exitResolve!: (c: number) => void;
      const exited = new Promise<number>((r) => (exitResolve = r));
      const ready = new Promise<void>((resolve) => {
        sock.once('connect', () => {
          sock.write('hello intake');
          writeFileSync(a.recordFile!, 'record bytes');
          writeFileSync(a.bpfDumpFile!, 'bpf bytes');
          a.log?.('Agent connected successfully. Telemetry is flowing!');
          if (!o.neverReady) resolve();
          if (o.dieAfterMs !== undefined) setTimeout(() => (sock.destroy(), calls.open.delete('agent'), exitResolve(255)), o.dieAfterMs);
        });
      });
      return {
        ready,
        exited,
        async stop() {
          sock.end();
          calls.open.delete('agent');
          exitResolve(241);
          return 241;
        },
        addEvent() {},
        drained: async () => {},
      };
    },
    async runWorkload(a) {
      calls.steps.push('workload');
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => (clearTimeout(t), reject(a.signal!.reason));
        const t = setTimeout(() => (a.signal?.removeEventListener('abort', onAbort), resolve()), o.workloadMs ?? 10);
        a.signal?.addEventListener('abort', onAbort, { once: true });
      });
      writeFileSync(a.manifestPath, JSON.stringify({ simulated: a.agent?.kind === 'sim' }));
      return {} as Awaited<ReturnType<RecipeDeps['runWorkload']>>;
    },
    async decodeToNdjson(a) {
      calls.steps.push(`decode:${a.kind}`);
      if (o.decodeError) throw o.decodeError;
      a.out.write(`${JSON.stringify({ name: 'x', files: a.files.length })}\n`);
      return 1;
    },
    async runChecks(inputs): Promise<CheckReportLike> {
      calls.steps.push('check');
      calls.checkInputs = inputs;
      const ok = o.checksOk ?? true;
      // the parts of the checker's report the recipe reads
      const report = (r: Pick<CheckReportLike, 'ok' | 'checks'>) => r as CheckReportLike;
      if (o.noneRun) return report({ ok: true, checks: [{ id: 'decode', title: 'decodes', status: 'not-run', reason: 'needs a recording' }] });
      return report({ ok, checks: [{ id: 'heartbeat-cadence', title: 'heartbeats every 2 s', status: ok ? 'pass' : 'fail', reason: ok ? undefined : 'gap of 4 s' }] });
    },
    renderHtml: (r) => `<html>${r.ok}</html>`,
  };
  return { deps, calls };
}

/** Collects writes (a fake stderr). */
export function sink(): { write(s: string): void; text: () => string } {
  let buf = '';
  return { write: (s: string) => void (buf += s), text: () => buf };
}
