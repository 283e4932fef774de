#!/usr/bin/env node
import { boolean, command, flag, option, restPositionals, string } from 'cmd-ts';
import { ExitCode, runMain } from '@flowmill/cli';
import { checkCerts } from './check.js';
import { DEFAULT_DIR, ensureCerts } from './ensure.js';
import { trustInstructions } from './trust.js';

const BIN = 'certs';
const dir = option({ long: 'dir', type: string, defaultValue: () => DEFAULT_DIR, defaultValueIsSerializable: true, description: 'directory of ca.pem, ca-key.pem and <name>/{cert,key}.pem' });
const json = flag({ long: 'json', type: boolean, description: 'print a JSON object on stdout' });

const argv = process.argv.slice(2);
// `certs create ...` and plain `certs ...` both create; help is headed by what the user typed.
const create = command({
  name: argv[0] === 'create' ? `${BIN} create` : BIN,
  description: 'Create a local CA once (reused afterwards) and a TLS server certificate for NAME... (default localhost) in <dir>/<first name>/. Prints the paths on stdout, how to trust the CA on stderr.',
  args: {
    names: restPositionals({ type: string, displayName: 'name', description: 'DNS names or IP addresses; the first is the CN and the directory' }),
    dir,
    json,
    force: flag({ long: 'force', type: boolean, description: 'replace the leaf certificate and key (never the CA)' }),
    noNameConstraints: flag({ long: 'no-name-constraints', type: boolean, description: 'a new CA without X.509 name constraints (it could sign any name)' }),
    quiet: flag({ long: 'quiet', short: 'q', type: boolean, description: 'no trust instructions on stderr' }),
  },
  async handler(a) {
    const r = await ensureCerts({ dir: a.dir, names: a.names, force: a.force, nameConstraints: !a.noNameConstraints });
    const { created, constraintsAdded, constrained, ...paths } = r;
    if (a.json) process.stdout.write(`${JSON.stringify({ ...paths, created, constrained })}\n`);
    else process.stdout.write(`${paths.caCert}\n${paths.cert}\n${paths.key}\n`);
    for (const f of created) process.stderr.write(`${BIN}: created ${f}\n`);
    if (created.length === 0) process.stderr.write(`${BIN}: reusing ${paths.cert} (covers ${paths.names.join(' ')})\n`);
    if (constraintsAdded.length) process.stderr.write(`${BIN}: the new CA's name constraints also permit ${constraintsAdded.join(', ')} (asked for; not local names)\n`);
    if (!a.quiet) process.stderr.write(trustInstructions(paths.caCert, paths.cert));
    return ExitCode.ok;
  },
});

const check = command({
  name: `${BIN} check`,
  description: 'Check a certs directory: expiry, key/certificate match, chain to the CA, names as the agent checks them, key modes. Exit 1 if something fails.',
  args: { dir, json },
  async handler(a) {
    const r = await checkCerts({ dir: a.dir });
    if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else for (const i of r.items) process.stdout.write(`${i.level.padEnd(4)}  ${i.check.padEnd(7)}  ${i.path}: ${i.message}\n`);
    if (!r.ok) process.stderr.write(`${BIN}: check failed: ${r.dir}: ${r.items.filter((i) => i.level === 'fail').length} problem(s)\n`);
    return r.ok ? ExitCode.ok : ExitCode.checksFailed;
  },
});

// `certs check ...` checks; anything else creates (`certs create check` makes a certificate for a host named check).
if (argv[0] === 'check') await runMain(check, { bin: BIN, subcommand: 'check', argv: argv.slice(1) });
else if (argv[0] === 'create') await runMain(create, { bin: BIN, subcommand: 'create', argv: argv.slice(1) });
else await runMain(create, { bin: BIN, argv });
