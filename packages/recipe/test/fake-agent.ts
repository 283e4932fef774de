// A stand-in for the real kernel collector, for the orchestration tests: a bash script that writes its pid and its
// child's pid to a file, says the agent's readiness line, and then does what the test asks.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FakeBehaviour = 'ready-then-wait' | 'ready-then-ignore-term' | 'ready-then-die' | 'never-ready';

export function fakeAgent(dir: string, behaviour: FakeBehaviour): { path: string; pidFile: string } {
  const pidFile = join(dir, `${behaviour}.pids`);
  const path = join(dir, `${behaviour}.sh`);
  const ready = behaviour === 'never-ready' ? 'echo "starting, never ready"' : 'echo "Agent connected successfully. Telemetry is flowing!"';
  // The trap is set before the readiness line: a stop that follows "ready" at once must find it (on a loaded machine
  // a trap set after the echo lost that race, and bash died of the SIGTERM instead of exiting 241).
  const [trap, tail] = {
    'ready-then-wait': ["trap 'echo Caught signal 15; exit 241' TERM", 'wait'],
    'ready-then-ignore-term': ["trap 'echo ignoring TERM' TERM", 'while :; do wait; done'],
    'ready-then-die': ['', 'sleep 0.2\necho "critical: simulated crash" >&2\nexit 255'],
    'never-ready': ["trap 'exit 241' TERM", 'wait'],
  }[behaviour];
  writeFileSync(path, `#!/bin/bash\n${trap}\necho $$ > ${pidFile}\nsleep 300 &\necho $! >> ${pidFile}\n${ready}\n${tail}\n`);
  chmodSync(path, 0o755);
  return { path, pidFile };
}

/** Alive and not a zombie (agent-runner's /proc reading). */
export { isAlive as alive } from '@flowmill/agent-runner';
