import type { SimFaults } from './manifest.js';

// Shapes of the JSON/YAML a user hands a bin (--faults, --profile, --config), checked before anything starts: an
// unknown key or a wrong type is named by its path (`drop[0].nme`) with the keys that would have been valid, so a
// typo never runs silently. One shape per input, shared by every bin that takes it (agent-runner, recipe, checker).

export type Shape =
  | 'string' | 'boolean' | 'number' | 'count'
  | { oneOf: readonly string[] }
  | { list: Shape }
  | { fields: Record<string, Shape>; required?: readonly string[] }
  /** An open map (message names → counts). */
  | { map: Shape }
  | { nullable: Shape };

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(s: Shape): string {
  if (typeof s === 'string') return s === 'count' ? 'a whole number >= 0' : `a ${s}`;
  if ('oneOf' in s) return `one of ${s.oneOf.map((x) => JSON.stringify(x)).join(', ')}`;
  if ('list' in s) return `a list (each ${describe(s.list)})`;
  if ('fields' in s) return `an object {${Object.keys(s.fields).map((k) => (s.required?.includes(k) ? k : `${k}?`)).join(', ')}}`;
  if ('map' in s) return 'an object';
  return `${describe(s.nullable)} or null`;
}

/** The first problem of `v` against `shape`, as `path: why`, or undefined when it fits. */
export function shapeProblem(v: unknown, shape: Shape, path = ''): string | undefined {
  const at = path || '(top)';
  const wrong = () => `${at}: expected ${describe(shape)}, got ${JSON.stringify(v) ?? String(v)}`;
  if (typeof shape === 'string') {
    if (shape === 'count') return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : wrong();
    return typeof v === shape && !(shape === 'number' && !Number.isFinite(v)) ? undefined : wrong();
  }
  if ('oneOf' in shape) return typeof v === 'string' && shape.oneOf.includes(v) ? undefined : wrong();
  if ('nullable' in shape) return v === null ? undefined : shapeProblem(v, shape.nullable, path) && wrong();
  if ('list' in shape) {
    if (!Array.isArray(v)) return wrong();
    for (let i = 0; i < v.length; i++) {
      const p = shapeProblem(v[i], shape.list, `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!isPlain(v)) return wrong();
  if ('map' in shape) {
    for (const [k, x] of Object.entries(v)) {
      const p = shapeProblem(x, shape.map, path ? `${path}.${k}` : k);
      if (p) return p;
    }
    return undefined;
  }
  const valid = Object.keys(shape.fields);
  for (const [k, x] of Object.entries(v)) {
    const kp = path ? `${path}.${k}` : k;
    if (!(k in shape.fields)) return `${kp}: unknown key (valid keys${path ? ` of ${path}` : ''}: ${valid.join(', ')})`;
    if (x === undefined) continue;
    const p = shapeProblem(x, shape.fields[k], kp);
    if (p) return p;
  }
  for (const k of shape.required ?? []) if (!(k in v)) return `${path ? `${path}.${k}` : k}: missing (expected ${describe(shape)})`;
  return undefined;
}

/**
 * The shape of a fully populated example (a tolerance table): every key the example has, each of its value's type;
 * a null example value takes a number or null, and the keys named in `open` are open maps of their first value's type.
 */
export function shapeOfExample(example: unknown, open: readonly string[] = [], key = ''): Shape {
  if (example === null) return { nullable: 'number' };
  if (Array.isArray(example)) return { list: example.length ? shapeOfExample(example[0]) : 'string' };
  if (isPlain(example)) {
    if (open.includes(key)) return { map: 'count' };
    return { fields: Object.fromEntries(Object.entries(example).map(([k, x]) => [k, shapeOfExample(x, open, k)])) };
  }
  return typeof example === 'number' ? 'number' : typeof example === 'boolean' ? 'boolean' : 'string';
}

const selector: Shape = { fields: { name: 'string', nth: { list: 'count' }, stream: { oneOf: ['intake', 'bpf'] } }, required: ['name'] };

/** The simulated agent's fault switches (sim/fault-types.ts SimFaults). */
export const FAULTS_SHAPE: Shape = {
  fields: {
    drop: { list: selector }, duplicate: { list: selector }, reorder: { list: selector }, corrupt: { list: selector },
    loseBpf: { list: selector }, skipHeartbeat: { list: 'count' }, wrongToken: 'string',
  },
};

const section = (f: Record<string, Shape>): Shape => ({ fields: f });
/** A workload profile file or inline JSON (workload/profile.ts ProfileInput); the value checks stay in validateProfile. */
export const PROFILE_SHAPE: Shape = {
  fields: {
    name: 'string', pauseMs: 'count',
    tcp: section({ connections: 'count', clientBytes: 'count', serverBytes: 'count', port: 'count' }),
    udp: section({ datagrams: 'count', bytes: 'count', port: 'count' }),
    dns: section({ lookups: 'count', domain: 'string', port: 'count' }),
    processes: section({ count: 'count', command: 'string' }),
    http: section({ requests: 'count', statuses: { list: 'count' }, method: 'string', path: 'string', port: 'count' }),
  },
};

/** Parses `--faults` text (inline JSON) and checks its shape; throws `Error('bad --faults: path: why')`-style messages via `fail`. */
export function checkFaults(v: unknown, fail: (why: string) => never): SimFaults {
  const p = shapeProblem(v, FAULTS_SHAPE);
  if (p) fail(p);
  return v as SimFaults;
}
