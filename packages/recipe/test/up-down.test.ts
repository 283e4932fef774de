import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up, down, status, envScript, ServeFailedError, StepTimeoutError, StateError, type CloudState } from '../src/index.js';
import { alive } from '../src/state.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'recipe-up-'));

test('up: a server that dies before it is ready passes on its error line and exit code', async () => {
  const dir = tmp();
  try {
    await up({ self: ['sh', '-c', 'echo "[authz] ready: listening on https://localhost:1" >&2; echo "recipe: cannot listen: intake on 127.0.0.1:7001: port busy" >&2; exit 69', 'sh'], serveArgs: [], dir: join(dir, 'run') });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ServeFailedError);
    assert.is((err as ServeFailedError).exitCode, 69);
    assert.is((err as Error).message, 'cannot listen: intake on 127.0.0.1:7001: port busy');
  }
  rmSync(dir, { recursive: true });
});

test('up: a server that never gets ready is killed at the timeout (exit 75), nothing left running', async () => {
  const dir = tmp();
  const pidFile = join(dir, 'pid');
  try {
    await up({ self: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`, 'sh'], serveArgs: [], dir: join(dir, 'run'), timeoutMs: 300 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, StepTimeoutError);
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  assert.not.ok(alive(pid));
  rmSync(dir, { recursive: true });
});

test('down and status with a stale state file: reported, not an error; nothing there: StateError', async () => {
  const dir = tmp();
  const state: CloudState = {
    format: 'flowmill-recipe-cloud', version: 1, pid: 2 ** 22 + 12345, dir, era: 'otel', plain: true, tls: false, host: '127.0.0.1', intakeName: 'localhost',
    started: new Date().toISOString(), intake: { url: 'tcp://localhost:8000', port: 8000 },
    paths: { intakeDir: join(dir, 'intake'), record: join(dir, 'intake.record'), bpf: join(dir, 'bpf.raw'), authzLog: join(dir, 'authz.jsonl'), serveLog: join(dir, 'serve.log') },
  };
  writeFileSync(join(dir, 'cloud.json'), JSON.stringify(state));
  assert.is(status(dir).running, false);
  const d = await down(dir);
  assert.is(d.wasRunning, false);
  // the OTel era: EBPF_NET_* only, the reducer's default port from the state, no authz
  const { script } = envScript(state);
  assert.match(script, 'export EBPF_NET_INTAKE_HOST=127.0.0.1\n');
  assert.match(script, 'export EBPF_NET_INTAKE_PORT=8000\n');
  assert.not.match(script, 'FLOWMILL_');
  rmSync(join(dir, 'cloud.json'));
  try {
    status(dir);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, StateError);
    assert.is((err as { code: string }).code, 'ERR_MISSING_INPUT');
  }
  assert.not.ok(existsSync(join(dir, 'run.json')));
  rmSync(dir, { recursive: true });
});

test.run();
