// `recipe up` / `eval "$(recipe env)"` / `recipe down` driven from real bash shells, as in the original recipe: the
// fake cloud runs in the background, a second shell plays the agent with curl (authz) and openssl s_client (intake,
// TLS verified against the exported CA), a third stops it; the capture holds exactly what was sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const AGENT_RUNNER = new URL('../packages/agent-runner/dist/agent-runner.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-bash-'));
const bash = (script: string) => spawnSync('bash', ['-c', `set -euo pipefail\nrecipe() { node ${BUNDLE} "$@"; }\n${script}`], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: cwd }, timeout: 120_000 });

test.after(() => {
  // in case an assertion failed before `down`: every fake cloud these tests may have started
  bash('for d in runs/current by-hand first second; do recipe down --dir "$d" >/dev/null 2>&1 || true; done');
  rmSync(cwd, { recursive: true, force: true });
});

test('up in one shell, the agent\'s side from env in a second, down in a third', () => {
  const upRun = bash('recipe up --authz-port 0 --intake-port 0');
  assert.is(upRun.status, 0, upRun.stderr);
  assert.match(upRun.stdout, /^running: fake cloud, pid \d+, flowmill era/);
  assert.match(upRun.stderr, /eval "\$\(recipe env\)"/);
  const state = JSON.parse(readFileSync(join(cwd, 'runs', 'current', 'cloud.json'), 'utf8'));
  // plain http authz for a real agent (it keeps the scheme it is given, util/url.cc@3598385a:19-25), TLS intake
  assert.match(state.authz.url, /^http:\/\/localhost:\d+$/);
  assert.match(state.intake.url, /^tls:\/\//);

  const agent = bash(`
eval "$(recipe env)"
authz=$(printf '%s\\n' $RECIPE_AGENT_ARGS | sed -n 's/^--authz-server=//p')
# the agent's token fetch (docs/agent-protocol.md §1.2): plain http by default (--cacert applies to https only)
curl -sS --fail --cacert "$SSL_CERT_FILE" -H "Authorization: Bearer $FLOWMILL_AUTH_SECRET" "$authz/api/v1/auth/keys/$FLOWMILL_AUTH_KEY_ID"
echo
# the agent's intake connection: TLS to the exported host/port, verifying the exported name
printf 'bytes from the agent\\n' | openssl s_client -connect "$FLOWMILL_INTAKE_HOST:$FLOWMILL_INTAKE_PORT" -servername "$FLOWMILL_INTAKE_NAME" \\
  -verify_hostname "$FLOWMILL_INTAKE_NAME" -CAfile "$SSL_CERT_FILE" -verify_return_error -quiet -no_ign_eof 2>/dev/null
echo "dir=$RECIPE_DIR record=$FLOWMILL_RECORD_INTAKE_OUTPUT_PATH"
recipe status
`);
  assert.is(agent.status, 0, agent.stderr);
  const token = JSON.parse(agent.stdout.split('\n')[0]);
  assert.type(token.token, 'string');
  assert.is(token.intake, 'localhost');
  assert.match(agent.stdout, `dir=${state.dir} record=${join(state.dir, 'intake.record')}`);
  assert.match(agent.stdout, /1 request\b/);
  assert.match(agent.stdout, /1 connection, 21 bytes/);

  const downRun = bash('recipe down');
  assert.is(downRun.status, 0, downRun.stderr);
  assert.match(downRun.stdout, `stopped fake cloud pid ${state.pid}`);
  const capture = readFileSync(join(state.dir, 'intake', 'conn-0001.raw'));
  assert.is(capture.toString(), 'bytes from the agent\n');
  const runJson = JSON.parse(readFileSync(join(state.dir, 'run.json'), 'utf8'));
  assert.is(runJson.status, 'stopped');
  assert.is(runJson.files['intake/conn-0001.raw'].sha256, createHash('sha256').update(capture).digest('hex'));
  const authzLog = readFileSync(join(state.dir, 'authz.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.is(authzLog.length, 1);
  assert.is(authzLog[0].keyId, 'KFIIVU75RGHY7EC7JABW');
  assert.not.ok(existsSync(join(state.dir, 'cloud.json')), 'state removed');
  let gone = false;
  try {
    process.kill(state.pid, 0);
    gone = readFileSync(`/proc/${state.pid}/stat`, 'utf8').includes(') Z');
  } catch {
    gone = true;
  }
  assert.ok(gone, 'the background process is gone');

  const after = bash('recipe status');
  assert.is(after.status, 66);
  assert.match(after.stderr, /^recipe: no fake cloud: .*cloud\.json: nothing running there/);
});

test('the background steps with an agent run by hand (agent-runner\'s simulated agent + workload), then down --check passes', () => {
  // the checker's cadence tolerances for agent timers × 0.25: a 500 ms heartbeat, ± half a period
  const cfg = join(cwd, 'quarter-time.json');
  writeFileSync(cfg, JSON.stringify({ cadence: { heartbeatMs: 500, heartbeatMinGapMs: 250, heartbeatMaxGapMs: 750, probeLoadMaxGapMs: 33_500 } }));
  const r = bash(`
ar() { node ${AGENT_RUNNER} "$@"; }
recipe up --dir by-hand --authz-port 0 --intake-port 0 >/dev/null
eval "$(recipe env --dir by-hand 2>/dev/null)"
node ${AGENT_RUNNER} sim --run-dir "$RECIPE_DIR" --intake-host "$FLOWMILL_INTAKE_HOST" --intake-port "$FLOWMILL_INTAKE_PORT" --intake-name "$FLOWMILL_INTAKE_NAME" \
  --ca "$SSL_CERT_FILE" --authz-server "$FLOWMILL_AUTHZ_SERVER" --time-scale 0.25 --connect-delay 0 > "$RECIPE_DIR/agent.log" 2>&1 &
sim=$!
# whatever happens: no agent and no fake cloud outlive this shell, and a failure shows the agent's log
trap 'rc=$?; kill $sim 2>/dev/null || true; [ $rc -eq 0 ] || { tail -20 "$RECIPE_DIR/agent.log" >&2; recipe down --dir by-hand >/dev/null 2>&1 || true; }' EXIT
for i in $(seq 600); do grep -q 'Telemetry is flowing' "$RECIPE_DIR/agent.log" && break; sleep 0.05; done
grep -q 'Telemetry is flowing' "$RECIPE_DIR/agent.log" # ready within 30 s, or fail here
ar workload --run-dir "$RECIPE_DIR" --agent-kind sim --era flowmill 2>/dev/null
sleep 3.5
kill -TERM $sim
status=0; wait $sim || status=$?
echo "agent exit $status"
recipe status --dir by-hand | head -1
recipe down --check --check-config ${cfg} --json
`);
  assert.match(r.stdout, 'agent exit 241', r.stderr);
  assert.match(r.stdout, /^running: fake cloud/m);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(r.status, 0, `${r.stderr}\n${JSON.stringify(out.run?.checks)}`);
  assert.is(out.run.status, 'passed');
  assert.is(out.run.checks.failed, 0);
  assert.ok(out.run.checks.passed >= 8);
  assert.match(r.stderr, /\[2\/2\] ✓ run the checker|"step":"check","status":"done"/);
  assert.ok(existsSync(join(cwd, 'by-hand', 'check.html')));
  assert.ok(out.run.files['intake.ndjson'].complete);
});

test('up refuses a busy port with one line and exit 69, leaving nothing running', () => {
  const first = bash('recipe up --dir first --intake-port 0 --authz-port 0 --json');
  assert.is(first.status, 0, first.stderr);
  const port = JSON.parse(first.stdout).intake.port;
  const second = bash(`recipe up --dir second --authz-port 0 --intake-port ${port}`);
  assert.is(second.status, 69, second.stderr);
  assert.is(second.stderr.trim().split('\n').length, 1);
  assert.match(second.stderr, `recipe: cannot listen: intake on 127.0.0.1:${port}: port busy`);
  assert.not.ok(existsSync(join(cwd, 'second', 'cloud.json')));
  const down = bash('recipe down --dir first');
  assert.is(down.status, 0, down.stderr);
});

test.run();
