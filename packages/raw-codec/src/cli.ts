#!/usr/bin/env node
// raw-codec: the bin's entry, kept tiny so that starting costs little more than Node itself. In the bundle,
// `raw-codec --version` alone is answered here (as runMain answers it, from the versions tools/build.mjs injects)
// before cmd-ts or any codec module loads; everything else, and --version when run from source, is commands.ts
// (the one place that exits, through runMain), loaded on demand: tools/build.mjs splits the bundle at each dynamic
// import() into chunks beside dist/raw-codec.js.
declare const __FLOWMILL_VERSIONS__: Record<string, string> | undefined;

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version' && typeof __FLOWMILL_VERSIONS__ !== 'undefined') {
  process.stdout.write(`raw-codec ${__FLOWMILL_VERSIONS__['@flowmill/raw-codec'] ?? 'unknown'}\n`);
} else {
  // A reader that stops early (`| head`) is not an error: stop quietly, like other Unix filters.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
  await (await import('./commands.js')).main();
}
