import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChecks } from '../src/index.js';
import { check, cleanup, tmp } from './helpers.js';

test.after.each(cleanup);

// A capture that holds no record at all has nothing for lifecycles or health to judge: "not run" with the reason,
// never "passed" (issue 12 item 9: `checker --wire empty.raw` passed both).
test('an empty wire capture: lifecycles and health are not run, saying the intake holds no records', async () => {
  const wire = join(tmp(), 'empty.raw');
  writeFileSync(wire, new Uint8Array(0));
  const r = await runChecks({ wire });
  for (const id of ['lifecycles', 'health']) {
    const c = check(r, id);
    assert.is(c.status, 'not-run', `${id}: ${c.status} ${c.reason}`);
    assert.match(c.reason ?? '', /no records/);
  }
});

test.run();
