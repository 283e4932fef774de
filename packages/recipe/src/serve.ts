import { rmSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import type { RecipeDeps } from './deps.js';
import { startFakeCloud, tlsFor, type CloudConfig } from './fake-cloud.js';
import { fileLog } from './file-log.js';
import { Teardown } from './flow-control/teardown.js';
import { prefixedLog } from './log-prefix.js';
import { hashRunFiles, runDir, writeJsonAtomic } from './run-dir.js';
import type { CloudState } from './state.js';
import type { Writable } from './types.js';
import { VERSION } from './version.js';

export interface ServeOptions {
  deps: RecipeDeps;
  /** The run directory (created by `recipe up`). */
  dir: string;
  cloud: CloudConfig;
  keysDir?: string;
  /** Where the servers' short log lines go (serve.log, which `up` opened as this process's stderr). */
  log?: Writable;
  pid?: number;
  now?: () => Date;
}

export interface Serving {
  state: CloudState;
  /** Stop accepting, finish and fsync the captures, write run.json, remove cloud.json. */
  close(): Promise<void>;
}

/**
 * The fake cloud of `recipe up`, run in-process by the hidden `recipe serve`: keys, mock-authz (Flowmill era) and
 * tls-sink writing into the run directory, then `cloud.json` once both listen (the readiness contract `up` waits
 * for). On close: the servers stop newest first, the captures are flushed, run.json records the files.
 */
export async function serveCloud(o: ServeOptions): Promise<Serving> {
  const now = o.now ?? (() => new Date());
  const rd = runDir(o.dir);
  const tls = tlsFor(o.cloud);
  const teardown = new Teardown();
  const authzJsonl = fileLog(rd.path('authzLog'));
  const sinkJsonl = fileLog(rd.path('sinkLog'));
  const started = now().toISOString();
  try {
    const certs = tls ? await o.deps.ensureCerts({ dir: o.keysDir ?? 'keys', names: [o.cloud.intakeName] }) : undefined;
    const cloud = await startFakeCloud(
      o.cloud,
      rd.dir,
      certs,
      o.deps,
      { authzJsonl, authz: prefixedLog('authz', { console: o.log }), sinkJsonl, sink: prefixedLog('sink', { console: o.log }) },
      (name, close) => teardown.push({ name, stop: close }),
    );
    const state: CloudState = {
      format: 'flowmill-recipe-cloud',
      version: 1,
      pid: o.pid ?? process.pid,
      dir: rd.dir,
      era: o.cloud.era,
      plain: o.cloud.plain,
      tls,
      host: o.cloud.host,
      intakeName: o.cloud.intakeName,
      started,
      authz: cloud.authzUrl ? { url: cloud.authzUrl, port: cloud.authz!.port } : undefined,
      intake: { url: `${tls ? 'tls' : 'tcp'}://${o.cloud.intakeName}:${cloud.intakePort}`, port: cloud.intakePort },
      keys: certs ? { ca: certs.caCert, cert: certs.cert, key: certs.key } : undefined,
      paths: { intakeDir: rd.path('intakeDir'), record: rd.path('record'), bpf: rd.path('bpf'), authzLog: rd.path('authzLog'), serveLog: rd.path('serveLog') },
    };
    writeJsonAtomic(rd.path('state'), state);
    let closing: Promise<void> | undefined;
    return {
      state,
      close() {
        closing ??= (async () => {
          await teardown.run();
          authzJsonl.close();
          sinkJsonl.close();
          const files = await hashRunFiles(rd.dir);
          writeJsonAtomic(rd.path('runJson'), {
            tool: '@flowmill/recipe', version: VERSION, command: 'up', status: 'stopped', era: state.era, simulated: false,
            servers: { authz: state.authz?.url, intake: state.intake.url, tls, intakeName: state.intakeName },
            runtime: { name: 'node', version: process.version, platform: platform(), arch: arch(), kernel: release() },
            versions: { '@flowmill/recipe': VERSION, ...o.deps.versions }, started, ended: now().toISOString(), files,
          });
          rmSync(rd.path('state'), { force: true });
        })();
        return closing;
      },
    };
  } catch (err) {
    await teardown.run();
    authzJsonl.close();
    sinkJsonl.close();
    throw err;
  }
}
