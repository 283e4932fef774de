import { runSafely, type Runner } from 'cmd-ts';
import { takeFileRefusals } from './arg-types.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { watchLauncher } from './launcher.js';
import { isSystemError, rewriteRawSystemText, systemErrorMessage } from './system-error.js';
import { flowmillVersions } from './versions.js';

export interface MainOptions {
  /** The bin's name, the prefix of every error line. */
  bin: string;
  /** Extra error-code to exit-code mappings for this bin. */
  codes?: Record<string, number>;
  /** The subcommand a bin dispatched itself before calling runMain (`certs check`): the usage hint names its help. */
  subcommand?: string;
  /** The package whose version `--version` prints (default `@flowmill/<bin>`). */
  package?: string;
  argv?: string[];
  stderr?: { write(s: string): unknown };
  stdout?: { write(s: string): unknown };
}

/**
 * One line for an error: `<bin>: <message>` (first line only; the message already says what, where and why). An
 * error Node raised for a system call, or Node's raw text pasted into a message, becomes `what failed: where: why
 * (CODE)`: no raw `ENOENT: no such file or directory, open '…'` reaches a user.
 */
export function errorLine(bin: string, err: unknown): string {
  const msg = isSystemError(err) ? systemErrorMessage(err) : err instanceof Error ? err.message : String(err);
  const first = rewriteRawSystemText(msg.split('\n')[0]);
  return first.startsWith(`${bin}: `) ? first : `${bin}: ${first}`;
}

/**
 * The exit code of a thrown error: `exitCodeFor` (its `exitCode`, its `code`, the bin's `codes`); an error that
 * says nothing but wraps a system error (`cause`) or pasted one's text takes that system error's code, else 70.
 */
export function exitCodeOfError(err: unknown, codes?: Record<string, number>): number {
  const code = exitCodeFor(err, codes);
  if (code !== ExitCode.software || (err && typeof err === 'object' && ('exitCode' in err || 'code' in err))) return code;
  for (let e: unknown = (err as { cause?: unknown } | undefined)?.cause, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isSystemError(e)) return exitCodeFor(e, codes);
  }
  const raw = /\((E[A-Z0-9_]+)\)/.exec(errorLine('', err));
  return raw ? exitCodeFor({ code: raw[1] }, codes) : code;
}

/**
 * `--version` anywhere in the arguments (not as an option's value, not after `--`): every bin answers it the same
 * way, `<bin> <version>` from `flowmillVersions()`, with or without a subcommand.
 */
export function versionRequested(cmd: Pick<Runner<any, any>, 'register'>, argv: readonly string[]): boolean {
  const names = { forceFlagLongNames: new Set<string>(), forceFlagShortNames: new Set<string>(), forceOptionLongNames: new Set<string>(), forceOptionShortNames: new Set<string>() };
  cmd.register(names);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return false;
    if (arg === '--version') return true;
    if (/^--[^=]+$/.test(arg) && names.forceOptionLongNames.has(arg.slice(2))) i++;
    else if (/^-[^-=]+$/.test(arg) && names.forceOptionShortNames.has(arg.slice(-1))) i++;
  }
  return false;
}

let guarded: { bin: string; codes?: Record<string, number>; stderr: { write(s: string): unknown } } | undefined;

/**
 * An error nobody caught after the handler returned (a server's late 'error' event, a rejected promise nobody
 * awaited) would print Node's stack and exit 1: print the same one line as a thrown error and exit with its code.
 * Installed once per process, by the first runMain writing to the real stderr.
 */
function guardUncaught(bin: string, codes: Record<string, number> | undefined, stderr: { write(s: string): unknown }): void {
  const first = guarded === undefined;
  guarded = { bin, codes, stderr };
  if (!first) return;
  const onError = (err: unknown) => {
    const g = guarded!;
    const code = exitCodeOfError(err, g.codes);
    g.stderr.write(`${errorLine(g.bin, err)}\n`);
    if (code === ExitCode.software && err instanceof Error && err.stack) g.stderr.write(`${err.stack}\n`);
    process.exit(code);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}

/**
 * cmd-ts reports a parse error as a box of several lines (the argv with a caret under the culprit, the reason, a
 * hint); this folds it into the house's one line: `<bin>: bad usage: <reason>: <argument> (try '<help> --help')`,
 * `help` being the bin or, under `subcommands`, the bin and its subcommand.
 */
export function usageLine(bin: string, message: string, help: string = bin): string {
  const lines = message.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trimEnd());
  const reasons: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const caret = /^(\s*)\^\s*(.*)$/.exec(lines[i]);
    if (!caret) continue;
    const above = lines[i - 1] ?? '';
    let at = caret[1].length; // cmd-ts may put the caret inside the word: take the whole word around it
    while (at > 0 && !/\s/.test(above[at - 1])) at--;
    const token = above.slice(at).split(/\s+/)[0] ?? '';
    reasons.push(token ? `${caret[2] || 'invalid'}: ${token}` : caret[2]);
  }
  if (reasons.length === 0) {
    const rest = lines.map((l) => l.trim()).filter((l) => l && !/^error: found \d+ error/.test(l) && !/^hint:/.test(l));
    reasons.push(rest.join('; ') || 'invalid arguments');
  }
  return `${bin}: bad usage: ${reasons.join('; ')} (try '${help} --help')`;
}

/**
 * cmd-ts reads an `option` given as the last argument with no value (`tls-sink 0 --close-after`, `--out=`) as if it
 * were absent, so an optional option silently falls back to its default. Find that case before parsing: the names
 * come from the command's own `register` (for `subcommands`, the union of every subcommand's, which is also what
 * cmd-ts parses with). Returns the culprit (`--close-after`, `-o`) or undefined.
 */
export function trailingOptionWithoutValue(cmd: Pick<Runner<any, any>, 'register'>, argv: readonly string[]): string | undefined {
  const names = { forceFlagLongNames: new Set<string>(), forceFlagShortNames: new Set<string>(), forceOptionLongNames: new Set<string>(), forceOptionShortNames: new Set<string>() };
  cmd.register(names);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return undefined; // everything after it is positional
    // the option that takes the next word as its value: `--name`, or the last letter of `-o` / `-qo`
    let name: string | undefined;
    const long = /^--([^=]+)(=?)$/.exec(arg);
    const short = long ? null : /^-([^-=][^=]*?)(=?)$/.exec(arg);
    if (long && names.forceOptionLongNames.has(long[1])) name = `--${long[1]}`;
    else if (short && names.forceOptionShortNames.has(short[1].slice(-1))) name = `-${short[1].slice(-1)}`;
    if (!name) continue;
    if ((long ?? short)![2] === '=') return name; // `--out=` with nothing after it
    if (i === argv.length - 1) return name;
    i++; // its value, whatever it looks like (cmd-ts reads it so too)
  }
  return undefined;
}

/**
 * Parses the arguments and runs the handler; the handler returns its exit code (or nothing for 0).
 * The one sanctioned exit of a bin: a parse error exits 64 (cmd-ts would say 1), a file argument refused by its type
 * 66, help and version 0, a thrown error the code its `code` maps to, a crash 70. `process.exitCode` is set
 * rather than `process.exit` called, so stdout drains; open servers keep the process alive until they close.
 */
export async function runMain(cmd: Runner<any, any>, opts: MainOptions): Promise<void> {
  const stderr = opts.stderr ?? process.stderr;
  const stdout = opts.stdout ?? process.stdout;
  const argv = opts.argv ?? process.argv.slice(2);
  // `subcommands` (no helpTopics of its own) parses its first word as the subcommand: point the hint at that one's help
  const sub = typeof (cmd as { helpTopics?: unknown }).helpTopics !== 'function' && argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const help = (message = '') => (opts.subcommand ? `${opts.bin} ${opts.subcommand}` : sub && !/Not a valid subcommand/.test(message) ? `${opts.bin} ${sub}` : opts.bin);
  if (opts.stderr === undefined) {
    guardUncaught(opts.bin, opts.codes, stderr);
    // npx / npm exec forwards no signal: when it is killed, stop as if its SIGTERM had reached us (launcher.ts)
    watchLauncher(() => {
      stderr.write(`${opts.bin}: npm exec (npx), which started it, is gone: stopping as on SIGTERM\n`);
      process.kill(process.pid, 'SIGTERM');
    });
  }
  try {
    if (versionRequested(cmd, argv)) {
      const pkg = opts.package ?? `@flowmill/${opts.bin}`;
      stdout.write(`${opts.bin} ${flowmillVersions()[pkg] ?? 'unknown'}\n`);
      process.exitCode = ExitCode.ok;
      return;
    }
    const missing = trailingOptionWithoutValue(cmd, argv);
    if (missing) {
      stderr.write(`${opts.bin}: bad usage: No value provided: ${missing} (try '${help()} --help')\n`);
      process.exitCode = ExitCode.usage;
      return;
    }
    takeFileRefusals();
    const r = await runSafely(cmd, argv);
    if (r._tag === 'error') {
      const { exitCode, message, into } = r.error.config;
      // A file argument refused by ExistingFile/PemFile/NewFile: its own one-line message and exit code (66)
      const refused = exitCode === 0 ? undefined : takeFileRefusals().find((f) => message.includes(f.message));
      if (refused) {
        stderr.write(`${errorLine(opts.bin, refused)}\n`);
        process.exitCode = refused.exitCode;
        return;
      }
      if (exitCode === 0) (into === 'stdout' ? stdout : stderr).write(message.endsWith('\n') ? message : `${message}\n`);
      else stderr.write(`${usageLine(opts.bin, message, help(message))}\n`);
      process.exitCode = exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    let code: unknown = await r.value;
    // `subcommands` wraps the handler's result as { command, value }, once per level (`agent-runner vm run`: twice)
    while (code && typeof code === 'object' && 'command' in code && 'value' in code) code = await (code as { value: unknown }).value;
    process.exitCode = typeof code === 'number' ? code : ExitCode.ok;
  } catch (err) {
    const code = exitCodeOfError(err, opts.codes);
    stderr.write(`${errorLine(opts.bin, err)}\n`);
    if (code === ExitCode.software && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}
