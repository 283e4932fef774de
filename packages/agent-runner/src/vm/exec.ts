/** Running a helper program (apt-get, dpkg-deb, busybox) to completion, injectable so tests can fake it. */
import { spawn } from 'node:child_process';
import { VmToolError } from './errors.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Exec = (cmd: string, args: readonly string[], opts?: { cwd?: string; input?: Uint8Array; env?: NodeJS.ProcessEnv; binary?: boolean }) => Promise<ExecResult & { out?: Uint8Array }>;

export const execFile: Exec = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: opts.binary ? '' : bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), out: opts.binary ? new Uint8Array(bytes) : undefined });
    });
    child.stdin.on('error', () => {}); // a tool that does not read its stdin
    child.stdin.end(opts.input);
  });

/** Runs and throws VmToolError (with the tool's last stderr line) unless it exits 0. */
export async function mustExec(exec: Exec, what: string, cmd: string, args: readonly string[], opts?: Parameters<Exec>[2]): Promise<ExecResult & { out?: Uint8Array }> {
  let r: ExecResult & { out?: Uint8Array };
  try {
    r = await exec(cmd, args, opts);
  } catch (err) {
    throw new VmToolError(what, cmd, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : (err as Error).message, { cause: err });
  }
  if (r.code !== 0) {
    const last = r.stderr.trim().split('\n').filter((l) => !/^W: /.test(l)).slice(-2).join(' / ') || `exit ${r.code}`;
    throw new VmToolError(what, cmd, last);
  }
  return r;
}
