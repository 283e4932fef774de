// issue 12 item 8: `recipe down --check` prints the same failure summary as `recipe run` (verdict, each failed
// check with its reason, where everything is) on stdout, not only `(cadence)` on a stderr step line; and the checker
// README's headline example, pasted after a `recipe run`, works (it used to exit 73: check.html exists).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const CHECKER = new URL('../packages/checker/dist/checker.js', import.meta.url).pathname;
const AGENT_RUNNER = new URL('../packages/agent-runner/dist/agent-runner.js', import.meta.url).pathname;
const README = new URL('../packages/checker/README.md', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-down-check-'));
const bash = (script: string) =>
  spawnSync('bash', ['-c', `set -euo pipefail\nrecipe() { node ${BUNDLE} "$@"; }\n${script}`], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: cwd, NO_COLOR: '1' }, timeout: 120_000 });

test.after(() => {
  bash('recipe down >/dev/null 2>&1 || true');
  rmSync(cwd, { recursive: true, force: true });
});

test('down --check after a quarter-time agent checked at full-time tolerances: exit 1, the failed cadence check and its reason on stdout', () => {
  // the case: the simulated agent at --time-scale 0.25 and no --check-config, so cadence fails
  const r = bash(`
recipe up --authz-port 0 --intake-port 0 >/dev/null 2>&1
eval "$(recipe env 2>/dev/null)"
node ${AGENT_RUNNER} sim --run-dir "$RECIPE_DIR" --intake-host "$FLOWMILL_INTAKE_HOST" --intake-port "$FLOWMILL_INTAKE_PORT" --intake-name "$FLOWMILL_INTAKE_NAME" \\
  --ca "$SSL_CERT_FILE" --authz-server "$FLOWMILL_AUTHZ_SERVER" --time-scale 0.25 --connect-delay 0 > "$RECIPE_DIR/agent.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 600); do grep -q 'Telemetry is flowing' "$RECIPE_DIR/agent.log" && break; sleep 0.05; done
sleep 2
kill -TERM $sim; wait $sim || true
recipe down --check`);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /^stopped fake cloud pid \d+/m);
  assert.match(r.stdout, /^FAILED: \d+ passed, \d+ failed.* \(your agent, recipe up, flowmill era\)/m);
  assert.match(r.stdout, /^  failed: cadence: .+/m);
  assert.match(r.stdout, /^  run\.json  runs\/\S+\/run\.json$/m);
  assert.match(r.stdout, /^next:$/m);
});

test("the checker README's headline example, pasted after recipe run, writes the report", () => {
  const run = bash('recipe run');
  assert.is(run.status, 0, run.stderr);
  const block = /^(npx @flowmill\/checker [^\n]+)$/m.exec(readFileSync(README, 'utf8'));
  assert.ok(block, 'the example is in the README');
  const before = readFileSync(join(cwd, 'runs', 'current', 'check.html'), 'utf8');
  const r = bash(block![1].replace('npx @flowmill/checker', `node ${CHECKER}`));
  assert.is(r.status, 0, r.stderr);
  const after = readFileSync(join(cwd, 'runs', 'current', 'check.html'), 'utf8');
  assert.match(after, /<html/);
  assert.ok(after.length > 1000 && before.length > 1000);
});

test.run();
