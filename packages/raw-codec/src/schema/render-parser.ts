import { SchemaError } from '../errors.js';
import type { AstApp, AstDocument, AstField, AstMessage, AstSpan } from './render-ast.js';
import { tokenize, type Token } from './render-lexer.js';
import { isIntType } from './types.js';

const messageTypes = new Set(['start', 'end', 'log', 'msg']);

/**
 * Recursive-descent parser for renderc's grammar (Render.xtext: Document = package, namespace, apps, metrics,
 * spans). Keeps what decides the wire layout (apps, spans, index keys, span fields, messages, fields, flags) and
 * skips the rest (impl/include strings, references, aggregations, metrics, renderc's `{{ … }}` internals).
 */
export function parseRenderAst(text: string, source = '<render>'): AstDocument {
  const toks = tokenize(text, source);
  let p = 0;
  const peek = (k = 0): Token => toks[Math.min(p + k, toks.length - 1)];
  const fail = (why: string, t: Token = peek()): never => { throw new SchemaError(source, t.line, `${why} (at ${t.kind === 'eof' ? 'end of file' : JSON.stringify(t.text)})`); };
  const next = (): Token => toks[p++ < toks.length - 1 ? p - 1 : toks.length - 1];
  const is = (text: string, k = 0): boolean => { const t = peek(k); return t.kind !== 'str' && t.kind !== 'eof' && t.text === text; };
  const accept = (text: string): boolean => { if (is(text)) { p++; return true; } return false; };
  const expect = (text: string): Token => (is(text) ? next() : fail(`expected ${JSON.stringify(text)}`));
  const id = (what: string): string => (peek().kind === 'id' ? next().text : fail(`expected ${what}`));
  const int = (what: string): number => (peek().kind === 'int' ? Number(next().text) : fail(`expected ${what} (a number)`));
  const str = (what: string): string => (peek().kind === 'str' ? next().text : fail(`expected ${what} (a string)`));
  const qualified = (): string => { let s = id('a name'); while (is('.') && peek(1).kind === 'id') { p++; s += `.${next().text}`; } return s; };
  /** Skips a balanced group that starts at the current opening token. */
  const skipGroup = (): void => {
    const open = next();
    const close = open.text === '{' ? '}' : open.text === '{{' ? '}}' : open.text === '(' ? ')' : fail('expected a group');
    let depth = 1;
    while (depth > 0) {
      const t = next();
      if (t.kind === 'eof') fail(`unclosed ${JSON.stringify(open.text)} opened on line ${open.line}`, t);
      if (t.kind === 'punct' && t.text === open.text) depth++;
      else if (t.kind === 'punct' && t.text === close) depth--;
    }
  };
  const skipInternal = (): void => { if (is('internal') && peek(1).text === '{{') { p++; skipGroup(); } };

  const fieldType = (): string => {
    const t = id('a field type');
    if (t === 'string' && is('<')) {
      p++;
      const n = int('string<N> size');
      if (n < 1 || n > 0xffff) fail(`string<${n}>: size outside 1..65535`, toks[p - 1]);
      expect('>');
      return `string<${n}>`;
    }
    if (t !== 'string' && !isIntType(t)) fail(`unknown field type ${JSON.stringify(t)}`, toks[p - 1]);
    return t;
  };
  const field = (): AstField => {
    const line = peek().line;
    let number: number | null = null;
    if (peek().kind === 'int') { number = int('field number'); expect(':'); }
    const type = fieldType();
    const name = id('a field name');
    let arrayLength: number | null = null;
    if (accept('[')) {
      arrayLength = int('array size');
      // A wire struct is at most 0xffff bytes (u16 `_len`, docs/wire-format.md (a) 8), so larger arrays cannot be real.
      if (arrayLength < 1 || arrayLength > 0xffff) fail(`array size ${arrayLength} outside 1..65535`, toks[p - 1]);
      expect(']');
    }
    if (is('{{')) skipGroup();
    return { number, type, name, arrayLength, line };
  };
  const isFieldStart = (): boolean => {
    const k = peek().kind === 'int' && is(':', 1) ? 2 : 0;
    const t = peek(k);
    return t.kind === 'id' && (t.text === 'string' || isIntType(t.text));
  };
  const message = (): AstMessage => {
    const line = peek().line;
    const declaredId = int('message number');
    expect(':');
    const type = id('a message type');
    if (!messageTypes.has(type)) fail('expected start, end, log or msg', toks[p - 1]);
    const name = id('a message name');
    let ref: string | null = null;
    if (accept('ref')) ref = id('a reference field');
    expect('{');
    const m: AstMessage = { declaredId, type: type as AstMessage['type'], name, ref, noAuthorizationNeeded: false, pipelineOnly: false, fields: [], line };
    for (;;) {
      if (accept('}')) break;
      if (accept('description')) { m.description = str('description'); continue; }
      if (accept('severity')) { m.severity = int('severity'); continue; }
      if (accept('no_authorization_needed')) { m.noAuthorizationNeeded = true; continue; }
      if (accept('pipeline_only')) { m.pipelineOnly = true; continue; }
      if (peek().kind === 'int' || isFieldStart()) { m.fields.push(field()); continue; }
      fail(`unexpected token in message ${name}`);
    }
    skipInternal();
    return m;
  };
  const span = (): AstSpan => {
    expect('span');
    const s: AstSpan = { name: id('a span name'), index: [], definitions: [], singleton: false, messages: [] };
    if (accept('impl')) str('impl');
    if (accept('include')) str('include');
    expect('{');
    for (;;) {
      if (accept('}')) break;
      if (accept('pool_size')) { int('pool size'); continue; }
      if (accept('index')) { expect('('); do s.index.push(id('an index key')); while (accept(',')); expect(')'); continue; }
      if (accept('singleton')) { s.singleton = true; continue; }
      if (accept('conn_hash')) continue;
      if (accept('proxy')) {
        s.proxy = `${id('proxy app')}.${(expect('.'), id('proxy span'))}`;
        if (accept('shard_by')) skipGroup();
        continue;
      }
      if (accept('aggregate')) { id('aggregation name'); skipGroup(); if (is('{')) skipGroup(); continue; }
      if (accept('reference')) {
        expect('<'); qualified(); expect('>');
        const name = id('a reference name');
        if (accept('auto') || accept('cached')) skipGroup();
        // A reference is a Definition: an index may name it, but renderc copies only Fields into `_start`.
        s.definitions.push({ number: null, type: 'reference', name, arrayLength: null, line: toks[p - 1].line });
        continue;
      }
      if (peek().kind === 'int' && is(':', 1) && peek(2).kind === 'id' && messageTypes.has(peek(2).text)) { s.messages.push(message()); continue; }
      if (isFieldStart()) { s.definitions.push(field()); continue; }
      fail(`unexpected token in span ${s.name}`);
    }
    return s;
  };
  const app = (): AstApp => {
    const line = expect('app').line;
    const a: AstApp = { name: id('an app name'), spans: [], line };
    expect('{');
    accept('jit');
    while (!accept('}')) {
      if (!is('span')) fail(`expected a span in app ${a.name}`);
      a.spans.push(span());
    }
    skipInternal();
    return a;
  };

  expect('package');
  const pkg = qualified();
  const namespace = new Map<string, [number, number][]>();
  expect('namespace');
  expect('{');
  while (!accept('}')) {
    const appName = id('an app name');
    expect(':');
    const ranges: [number, number][] = [];
    do {
      const start = int('rpc id');
      const end = accept('-') ? int('end of rpc id range') : start;
      if (end < start) fail(`empty rpc id range ${start}-${end}`, toks[p - 1]);
      ranges.push([start, end]);
    } while (accept(','));
    namespace.set(appName, ranges);
  }
  const apps: AstApp[] = [];
  for (;;) {
    if (peek().kind === 'eof') break;
    if (is('app')) { apps.push(app()); continue; }
    if (accept('metric')) { id('metric name'); skipGroup(); continue; }
    if (is('span')) { span(); continue; } // document-level spans hold no app messages
    fail('expected app, metric or span');
  }
  return { package: pkg, namespace, apps };
}
