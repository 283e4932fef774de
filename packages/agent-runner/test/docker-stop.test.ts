// Docker mode's stop, without a Docker engine. The image's entrypoint is a bash script that runs the collector in a
// `( set -x; exec … )` subshell (collector/kernel/entrypoint.sh@3598385a:112, main:83), as the container's PID 1.
// SIGTERM to the `docker run` client is proxied to that bash, which dies of it without passing it on; runc then kills
// the rest, the collector's shutdown never runs and the client reports 143. The stand-ins below have that shape:
// a fake `docker` on PATH runs the entrypoint in a session of its own (not our process group: a container's
// processes are not the client's), proxies SIGTERM to it like `--sig-proxy`, and answers `inspect`, `kill`, `rm`.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentCommandFor, findCollector, isAlive, startAgent, supervise, waitGone } from '../src/index.js';
import { dockerStop } from '../src/targets/docker.js';

const root = mkdtempSync(join(tmpdir(), 'ar-docker-stop-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A stand-in image: entrypoint.sh (same shape as the agent's) and /srv/kernel-collector. */
function image(name: string, collectorOnTerm: string): { bin: string; state: string } {
  const dir = join(root, name);
  const srv = join(dir, 'srv');
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  for (const d of [srv, bin, state]) mkdirSync(d, { recursive: true });
  // a fake collector: 241 on SIGTERM (the agent's exit(-15)), 0 if it ever ends otherwise
  script(join(srv, 'kernel-collector'), [
    `trap '${collectorOnTerm}' TERM`,
    'echo "2026-01-01 00:00:00.000000+0000 info [p:$$ t:$$] Agent connected successfully. Telemetry is flowing!"',
    'for i in $(seq 1 600); do sleep 0.05; done',
    'exit 0',
  ].join('\n'));
  script(join(srv, 'entrypoint.sh'), [`echo "launching kernel collector..."`, `(set -x; exec "${srv}/kernel-collector" "$@")`].join('\n'));
  script(join(bin, 'docker'), [
    `state=${state}`,
    'echo "$*" >> "$state/calls"',
    'case "$1" in',
    '  run)',
    '    while [ "$1" != "--name" ]; do shift; done; name=$2',
    '    while [ "$1" != "--volume" ] && [ $# -gt 0 ]; do shift; done',
    '    while [ "$1" = "--volume" ]; do shift 2; done',
    '    shift # the image; the rest are the collector\'s flags',
    `    setsid bash ${srv}/entrypoint.sh "$@" &`,
    '    init=$!; echo $init > "$state/$name.pid"',
    '    trap \'kill -TERM $init\' TERM # --sig-proxy: to the container\'s PID 1 only',
    '    while kill -0 $init 2>/dev/null; do wait $init; st=$?; done',
    '    kill -KILL -- -$init 2>/dev/null # runc: the container ends with its PID 1',
    '    exit $st ;;',
    '  inspect) cat "$state/${@: -1}.pid" ;;',
    '  kill) kill -KILL -- -$(cat "$state/$2.pid") ;;',
    '  exec) shift 2; exec "$@" ;; # with --pid host the container sees host PIDs: run it here',
    '  rm) kill -KILL -- -$(cat "$state/$3.pid") 2>/dev/null; exit 0 ;;',
    '  *) exit 125 ;;',
    'esac',
  ].join('\n'));
  return { bin, state };
}

const setup = (runDir: string) => ({ era: 'otel' as const, runDir, intake: { host: '127.0.0.1', port: 8000 } });

test('docker stop: the collector itself gets SIGTERM (found under the container\'s PID), exits 241, the container is removed', async () => {
  const { bin, state } = image('clean', 'echo "Caught signal 15"; exit 241');
  const runDir = join(root, 'clean', 'run');
  mkdirSync(runDir);
  const lines: string[] = [];
  const agent = await startAgent({ kind: 'docker', image: 'kernel-collector', containerName: 'c1', envPath: `${bin}:/usr/bin:/bin` }, { ...setup(runDir), graceMs: 5000, onLine: (l) => lines.push(l) });
  await agent.ready;
  const init = Number(readFileSync(join(state, 'c1.pid'), 'utf8'));
  const collector = findCollector(init);
  assert.ok(collector !== undefined && collector !== init, 'the collector is the exec\'d subshell under the entrypoint');
  const exit = await agent.stop();
  assert.is(exit.code, 241, `the collector's own exit, passed on by the entrypoint and the client: ${lines.join(' | ')}`);
  assert.ok(exit.expected);
  assert.match(exit.meaning, /SIGTERM/);
  assert.ok(lines.includes('Caught signal 15'), 'its SIGTERM handler ran');
  assert.ok(await waitGone(init, 2000), 'the entrypoint is gone');
  assert.not.ok(isAlive(collector!));
  const calls = readFileSync(join(state, 'calls'), 'utf8');
  assert.match(calls, /^inspect --format \{\{\.State\.Pid\}\} c1$/m);
  assert.match(calls, /^rm --force c1$/m, 'then the container is removed');
  assert.not.match(calls, /^kill /m, 'no docker kill was needed');
});

test('docker stop: a collector that ignores SIGTERM is killed with docker kill after the grace period, nothing left', async () => {
  const { bin, state } = image('stubborn', 'echo "ignoring TERM"');
  const runDir = join(root, 'stubborn', 'run');
  mkdirSync(runDir);
  const agent = await startAgent({ kind: 'docker', image: 'kernel-collector', containerName: 'c2', envPath: `${bin}:/usr/bin:/bin` }, { ...setup(runDir), graceMs: 300 });
  await agent.ready;
  const init = Number(readFileSync(join(state, 'c2.pid'), 'utf8'));
  const collector = findCollector(init)!;
  const exit = await agent.stop();
  assert.ok(exit.code === 137 || exit.signal === 'SIGKILL', JSON.stringify(exit));
  assert.ok(await waitGone(collector, 2000), 'the collector is gone');
  assert.not.ok(isAlive(init));
  const calls = readFileSync(join(state, 'calls'), 'utf8');
  assert.match(calls, /^kill c2$/m);
  assert.match(calls, /^rm --force c2$/m);
});

test('docker stop when we may not signal the root collector ourselves (EPERM): SIGTERM from inside the container, still 241', async () => {
  const { bin, state } = image('eperm', 'echo "Caught signal 15"; exit 241');
  const runDir = join(root, 'eperm', 'run');
  mkdirSync(runDir);
  const command = agentCommandFor({ kind: 'docker', image: 'kernel-collector', containerName: 'c3', envPath: `${bin}:/usr/bin:/bin` }, setup(runDir));
  const p = await supervise(command.argv, { env: command.env, graceMs: 5000 });
  await p.waitForLine('Telemetry is flowing!');
  const init = Number(readFileSync(join(state, 'c3.pid'), 'utf8'));
  const collector = findCollector(init)!;
  const refused: number[] = [];
  const notAllowed = (pid: number) => {
    refused.push(pid);
    throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
  };
  const exit = await p.stop(dockerStop(command, { kill: notAllowed })(p));
  assert.equal(refused, [collector]);
  assert.equal(exit, { code: 241, signal: null });
  assert.match(readFileSync(join(state, 'calls'), 'utf8'), new RegExp(`^exec c3 sh -c kill -TERM "\\$1" sh ${collector}$`, 'm'));
});

test.run();
