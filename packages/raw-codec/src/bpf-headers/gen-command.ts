// `raw-codec gen bpf-headers`: the CLI half of the header generator (imported by cli.ts only; writes files).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { command, option, optional, string, subcommands } from 'cmd-ts';
import { loadSchema } from '../schema/load.js';
import { UsageError } from '../errors.js';
import { generateBpfHeaders } from './index.js';

const bpfHeadersCmd = command({
  name: 'bpf-headers',
  description: 'Write the two headers the agent\'s BPF code includes (<pkg>/<app>/wire_message.h and bpf.h, as renderc would) under DIR; prints their paths.',
  args: {
    schema: option({ long: 'schema', type: string, description: 'ebpf_net (built in) or PATH.render from your agent checkout' }),
    out: option({ long: 'out', short: 'o', type: string, description: 'include directory to write into (created; the two headers are replaced)' }),
    app: option({ long: 'app', type: optional(string), description: 'the app whose messages the BPF code sends (default agent_internal)' }),
  },
  handler: async (a) => {
    if (a.schema === 'flowmill') throw new UsageError('bad flags: --schema flowmill: the Flowmill era\'s BPF code is BCC, compiled at run time; give ebpf_net or a .render file');
    const schema = await loadSchema(a.schema);
    for (const f of generateBpfHeaders(schema, { app: a.app })) {
      const path = join(a.out, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.text);
      process.stdout.write(`${path}\n`);
    }
    return 0;
  },
});

export const genCmd = subcommands({
  name: 'gen',
  description: 'Generate code from a schema (bpf-headers: the C headers the agent\'s BPF programs include).',
  cmds: { 'bpf-headers': bpfHeadersCmd },
});
