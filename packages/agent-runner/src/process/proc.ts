/**
 * What /proc says about processes: alive (and not a zombie), parent, command line, descendants. Used to find the
 * collector inside a container's process tree (visible on the host under `--pid host`) and by tests to prove that a
 * stop left nothing behind. A zombie counts as gone: it has exited, only its parent has not reaped it yet (and PID 1
 * of a container or a CI sandbox may never reap it).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields after `(comm)` in /proc/PID/stat: state, ppid, pgrp, … (proc(5)); undefined when gone. */
function statFields(pid: number, proc: string): string[] | undefined {
  try {
    const s = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and has not exited (state is not Z zombie or X dead). */
export function isAlive(pid: number, proc = '/proc'): boolean {
  const f = statFields(pid, proc);
  if (f) return f[0] !== 'Z' && f[0] !== 'X';
  try {
    process.kill(pid, 0); // no /proc (another OS): existence only
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's argv (from /proc/PID/cmdline), empty when gone or unreadable. */
export function cmdline(pid: number, proc = '/proc'): string[] {
  try {
    return readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}

/** Every live descendant of `pid`, breadth first (parents before children). */
export function descendants(pid: number, proc = '/proc'): number[] {
  const children = new Map<number, number[]>();
  let names: string[] = [];
  try {
    names = readdirSync(proc);
  } catch {
    return [];
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const f = statFields(Number(n), proc);
    if (!f || f[0] === 'Z' || f[0] === 'X') continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(n));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of (children.get(queue.shift()!) ?? []).sort((a, b) => a - b)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Resolves once `pid` is gone (or a zombie), polling /proc; false if it was still alive after `ms`. */
export async function waitGone(pid: number, ms: number, proc = '/proc'): Promise<boolean> {
  const end = Date.now() + ms;
  while (isAlive(pid, proc)) {
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
