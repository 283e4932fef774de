import { SchemaError } from '../errors.js';

export interface Token { kind: 'id' | 'int' | 'str' | 'punct' | 'eof'; text: string; line: number }

/**
 * Splits render IDL text into tokens, following Xtext's default terminals (the grammar is
 * `with org.eclipse.xtext.common.Terminals`): IDs, INTs, single- or double-quoted STRINGs,
 * `//` and `/* … *\/` comments. `{{` and `}}` (renderc's internal blocks) are single tokens.
 */
export function tokenize(text: string, source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new SchemaError(source, line, 'unterminated /* comment');
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (/[A-Za-z_^]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j])) j++;
      // Xtext's ID allows a leading ^ to escape a keyword.
      out.push({ kind: 'id', text: text.slice(c === '^' ? i + 1 : i, j), line });
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && text[j] >= '0' && text[j] <= '9') j++;
      out.push({ kind: 'int', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      const startLine = line;
      while (j < n && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < n) { s += text[j + 1]; j += 2; continue; }
        if (text[j] === '\n') line++;
        s += text[j++];
      }
      if (j >= n) throw new SchemaError(source, startLine, 'unterminated string');
      out.push({ kind: 'str', text: s, line: startLine });
      i = j + 1;
      continue;
    }
    if ((c === '{' || c === '}') && text[i + 1] === c) { out.push({ kind: 'punct', text: c + c, line }); i += 2; continue; }
    if ('{}()[]:,-.=<>'.includes(c)) { out.push({ kind: 'punct', text: c, line }); i++; continue; }
    throw new SchemaError(source, line, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', line });
  return out;
}
