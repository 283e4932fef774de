// npx / npm exec forwards no signal (npm/run-script#142, npm/cli#6684): it runs the bin as npm → sh -c → node, and
// a SIGTERM to npm's pid ends npm and the shell while the bin kept running, reparented to init (issue 12 item 2).
// Now a bin started by npm exec stops as on SIGTERM once npm is gone, while a bin a script backgrounds on purpose
// (no npm exec in its environment: `recipe up`'s server, `nohup`, `&` in a script that exits) keeps running.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'npx-signals-'));
const started: number[] = []; // process groups to clean up whatever happens
test.after(() => {
  for (const g of started) try { process.kill(-g, 'SIGKILL'); } catch {}
  rmSync(dir, { recursive: true, force: true });
});

/** Running, as the kernel says (a zombie or a missing /proc entry is not running). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function until(f: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (f()) return true;
  return f();
}

/** The bin's own pid, from the ready file it writes once listening. */
async function readyPid(file: string): Promise<number> {
  assert.ok(await until(() => existsSync(file), 30_000), `no ready file ${file}`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
}

function start(cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = openSync(join(dir, log), 'w');
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', fd], detached: true });
  closeSync(fd);
  started.push(child.pid!);
  return child;
}

const servers: [string, (ready: string) => string[]][] = [
  ['tls-sink', (ready) => ['--plain', '0', '--ready-file', ready]],
  ['mock-authz', (ready) => ['--http', '--port', '0', '--ready-file', ready]],
];

for (const [bin, args] of servers) {
  test(`${bin} under npx: SIGTERM to npx's pid stops the bin too, in order`, async () => {
    const ready = join(dir, `${bin}.ready.json`);
    const npx = start('npx', ['--offline', bin, ...args(ready)], `${bin}.npx.log`);
    const pid = await readyPid(ready);
    assert.is.not(pid, npx.pid, 'the ready file names the bin, not npx');
    await sleep(600); // several watch periods with npm alive: no false alarm
    assert.ok(running(pid), `${bin} stopped while npx was alive`);
    process.kill(npx.pid!, 'SIGTERM'); // npx alone, as a supervisor or `kill` would
    assert.ok(await until(() => !running(pid), 5_000), `${bin} (pid ${pid}) outlived npx by 5 s`);
    const log = readFileSync(join(dir, `${bin}.npx.log`), 'utf8');
    assert.match(log, new RegExp(`${bin}: npm exec \\(npx\\), which started it, is gone: stopping as on SIGTERM`));
  });
}

test('a bin backgrounded on purpose by a script that exits keeps running (not started by npm exec)', async () => {
  const ready = join(dir, 'daemon.ready.json');
  const env = { ...process.env };
  delete env.npm_command;
  delete env.npm_lifecycle_event;
  start('sh', ['-c', `node packages/tls-sink/dist/tls-sink.js --plain 0 --ready-file ${ready} 2>/dev/null &`], 'daemon.log', env);
  const pid = await readyPid(ready);
  await sleep(800);
  assert.ok(running(pid), 'the backgrounded tls-sink stopped when its shell exited');
  process.kill(pid, 'SIGTERM');
  assert.ok(await until(() => !running(pid), 5_000));
});

test.run();
