/**
 * A private apt configuration in the kernel cache: its own sources list, package lists, archive cache and empty
 * dpkg status, so `apt-get download` can fetch from any Debian suite without touching the system's sources (and
 * without root: nothing outside the cache directory is written).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_KEYRING } from './kernels.js';
import { mustExec, type Exec } from './exec.js';

export interface AptSource {
  archive: string;
  suite: string;
}

/** Lists younger than this are not refreshed (a day: a kernel fetch must not download indexes every time). */
const LISTS_MAX_AGE_MS = 24 * 3600_000;

/** The apt-get/apt-cache options that redirect every path apt uses into `dir`. */
export function aptOptions(dir: string): string[] {
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return [
    ...o('Dir::Etc::SourceList', join(dir, 'sources.list')),
    ...o('Dir::Etc::SourceParts', join(dir, 'sources.list.d')),
    ...o('Dir::Etc::Parts', join(dir, 'apt.conf.d')),
    ...o('Dir::Etc::Preferences', join(dir, 'preferences')),
    ...o('Dir::Etc::PreferencesParts', join(dir, 'preferences.d')),
    ...o('Dir::State::Lists', join(dir, 'lists')),
    ...o('Dir::State::Status', join(dir, 'status')),
    ...o('Dir::Cache', join(dir, 'cache')),
    ...o('APT::Architecture', 'amd64'),
    ...o('APT::Architectures', 'amd64'),
    ...o('Acquire::Languages', 'none'),
    // No lock on the system's dpkg database: this configuration never installs anything.
    ...o('Debug::NoLocking', '1'),
    // apt drops to the `_apt` user to download, which cannot write into a user's cache directory.
    ...o('APT::Sandbox::User', 'root'),
  ];
}

export function sourcesList(sources: readonly AptSource[], keyring = DEBIAN_KEYRING): string {
  return sources.map((s) => `deb [signed-by=${keyring}] ${s.archive} ${s.suite} main\n`).join('');
}

/** A private apt state for one suite under `dir`, its lists refreshed when missing or older than a day. */
export async function privateApt(dir: string, sources: readonly AptSource[], exec: Exec, now = Date.now()): Promise<string[]> {
  for (const d of ['sources.list.d', 'apt.conf.d', 'preferences.d', 'lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, d), { recursive: true });
  const list = sourcesList(sources);
  const listFile = join(dir, 'sources.list');
  const stamp = join(dir, 'lists', '.updated');
  const changed = !existsSync(listFile) || readFileSync(listFile, 'utf8') !== list;
  writeFileSync(listFile, list);
  if (!existsSync(join(dir, 'status'))) writeFileSync(join(dir, 'status'), '');
  const opts = aptOptions(dir);
  if (changed || !existsSync(stamp) || now - statSync(stamp).mtimeMs > LISTS_MAX_AGE_MS) {
    await mustExec(exec, `apt-get update (${sources.map((s) => s.suite).join(', ')})`, 'apt-get', [...opts, '-q', 'update']);
    writeFileSync(stamp, '');
  }
  return opts;
}

/** The versioned package a metapackage depends on, with the metapackage's version: `linux-image-6.1.0-41-amd64`. */
export async function resolveMeta(opts: string[], metapackage: string, exec: Exec): Promise<{ package: string; version: string }> {
  const r = await mustExec(exec, `apt-cache show ${metapackage}`, 'apt-cache', [...opts, 'show', '--no-all-versions', metapackage]);
  const dep = /^Depends: ([^\s,(]+)/m.exec(r.stdout)?.[1];
  if (!dep) throw new Error(`apt-cache show ${metapackage}: no Depends line`);
  const v = await mustExec(exec, `apt-cache show ${dep}`, 'apt-cache', [...opts, 'show', '--no-all-versions', dep]);
  const version = /^Version: (\S+)/m.exec(v.stdout)?.[1];
  if (!version) throw new Error(`apt-cache show ${dep}: no Version line`);
  return { package: dep, version };
}
