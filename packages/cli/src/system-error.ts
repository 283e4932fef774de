/**
 * The last guard between Node's own errors and a user: an error Node raised for a system call (`ENOENT: no such file
 * or directory, open 'x'`, `listen EADDRINUSE: address already in use 127.0.0.1:7001`) that no library wrapped is
 * turned into the house's one line, `what failed: where: why (CODE)`, the code kept so the exit table still applies.
 */

/** What Node puts on an error raised by a system call (fs, net, child_process, dns). */
interface SystemErrorLike {
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** True for an error Node raised for a failed system call (an `E…` code and the syscall that failed). */
export function isSystemError(err: unknown): err is Error & SystemErrorLike {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<SystemErrorLike>;
  return typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/** Why, in words, for the codes a user meets (the code itself follows in parentheses). */
const WHY: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a directory, not a file',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EROFS: 'read-only file system',
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'I/O error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EADDRINUSE: 'address already in use (port busy)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ECONNREFUSED: 'connection refused (nothing listening)',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (try again)',
  ETIMEDOUT: 'timed out',
  EPIPE: 'the reader went away',
};

/** What failed, by the system call that failed. */
const WHAT: Record<string, string> = {
  open: 'cannot open',
  read: 'cannot read',
  write: 'cannot write',
  close: 'cannot close',
  stat: 'cannot read',
  lstat: 'cannot read',
  access: 'cannot read',
  scandir: 'cannot list directory',
  opendir: 'cannot list directory',
  mkdir: 'cannot create directory',
  mkdtemp: 'cannot create directory',
  rmdir: 'cannot remove directory',
  rm: 'cannot remove',
  unlink: 'cannot remove',
  rename: 'cannot rename',
  link: 'cannot create',
  symlink: 'cannot create link',
  copyfile: 'cannot copy',
  chmod: 'cannot change mode',
  listen: 'cannot listen',
  bind: 'cannot listen',
  connect: 'cannot connect',
  getaddrinfo: 'cannot resolve',
  spawn: 'cannot run',
};

/** `what failed: where: why (CODE)` for a Node system error. */
export function systemErrorMessage(err: Error & SystemErrorLike): string {
  const syscall = err.syscall.replace(/^spawn .*/, 'spawn');
  const what = WHAT[syscall] ?? `${syscall} failed`;
  let where: string;
  if (err.path !== undefined) where = err.dest !== undefined ? `${err.path} -> ${err.dest}` : err.path;
  else if (err.address !== undefined) where = err.port !== undefined ? `${err.address.includes(':') ? `[${err.address}]` : err.address}:${err.port}` : err.address;
  else if (err.hostname !== undefined) where = err.hostname;
  else if (/^spawn /.test(err.syscall)) where = err.syscall.slice('spawn '.length);
  else if (syscall === 'write' || syscall === 'read') where = 'a pipe or socket';
  else where = err.syscall;
  const why = WHY[err.code] ?? (err.message.match(new RegExp(`${err.code}: ([^,]+)`))?.[1] ?? err.code);
  return `${what}: ${where}: ${why} (${err.code})`;
}

/**
 * Rewrites Node's raw system-error text wherever it was pasted into a message (`…: ENOENT: no such file or directory,
 * open 'x'` → `…: x: no such file or directory (ENOENT)`), for libraries that wrapped the message rather than the error.
 * What the message already said before it (`cannot listen: 127.0.0.1:7001: `, `cannot read x: `) is not repeated.
 */
export function rewriteRawSystemText(line: string): string {
  const say = (before: string, what: string | undefined, where: string, code: string, why: string) => {
    const reason = `${WHY[code] ?? why} (${code})`;
    if (!where || before.includes(where)) return reason; // the message already named the place
    return what && !before.includes(what) ? `${what}: ${where}: ${reason}` : `${where}: ${reason}`;
  };
  let out = line.replace(/\b(E[A-Z0-9]+): ([^,]+), (\w+)(?: '([^']+)'(?: -> '([^']+)')?)?/g,
    (_m, code: string, why: string, _syscall: string, path: string | undefined, dest: string | undefined, at: number, all: string) =>
      say(all.slice(0, at), undefined, path === undefined ? '' : dest ? `${path} -> ${dest}` : path, code, why));
  out = out.replace(/\b(listen|connect|bind) (E[A-Z0-9]+)(?:: ([a-z ]+?))?(?: (\S+))?(?=$|[;)])/g,
    (m, syscall: string, code: string, why: string | undefined, where: string | undefined, at: number, all: string) =>
      WHY[code] || why ? say(all.slice(0, at), WHAT[syscall], where ?? '', code, why ?? code) : m);
  out = out.replace(/\bgetaddrinfo (E[A-Z0-9_]+) (\S+)/g, (m, code: string, host: string, at: number, all: string) =>
    say(all.slice(0, at), 'cannot resolve', host, code, code));
  return out.replace(/\bspawn (\S+) (E[A-Z0-9]+)/g, (m, file: string, code: string, at: number, all: string) =>
    say(all.slice(0, at), 'cannot run', file, code, code));
}
