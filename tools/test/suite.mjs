// Runs one uvu suite in its own process (and process group) and counts it with count.mjs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { verdict } from './count.mjs';

const root = new URL('../..', import.meta.url).pathname;
const uvu = join(root, 'node_modules', 'uvu', 'bin.js');

/** The files uvu loads for `uvu <dir> <pattern>` (its parse: recursive, case-insensitive, no node_modules or .git). */
export function suiteFiles(dir, pattern) {
  const re = new RegExp(pattern, 'i');
  const out = [];
  (function walk(d) {
    for (const name of readdirSync(d).sort()) {
      if (name === 'node_modules' || name.startsWith('.git')) continue;
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (re.test(relative(dir, file))) out.push(file);
    }
  })(dir);
  return out;
}

/**
 * Runs `uvu <dir> <pattern>` under tsx with the workspace's source condition; resolves with the suite's count
 * (`passed`, `failed`, `skipped`, `notes`), its exit `code`, everything it printed (`output`) and `seconds`.
 * A suite still running after `timeoutMs` is killed with everything it started, and counted like a crash.
 */
export function runSuite({ name, dir, pattern = '\\.test\\.ts$' }, { timeoutMs = 240_000 } = {}) {
  const files = suiteFiles(dir, pattern).map((file) => ({ file: relative(root, file), text: readFileSync(file, 'utf8') }));
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=@flowmill/source', '--import', 'tsx', uvu, dir, pattern], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills whatever the tests started too
    });
    let stdout = '', output = '';
    child.stdout.on('data', (d) => { stdout += d; output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      output += `\n[${name}] timed out after ${timeoutMs / 1000}s\n`;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      try { process.kill(-child.pid, 'SIGKILL'); } catch {} // nothing a suite started outlives it
      const count = verdict({ stdout, code, files });
      resolve({ name, code, output, seconds: (Date.now() - started) / 1000, ...count });
    });
  });
}
