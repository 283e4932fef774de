import { packDocument } from './packer.js';
import { parseRenderAst } from './render-parser.js';
import type { Schema } from './types.js';

/**
 * Parses render IDL text (an agent checkout's `render/flowmill.render` or `render/ebpf_net.render`) and lays out
 * every message with renderc's rules. `lineage` defaults to 'flowmill' for `package flowmill`, else 'otel'.
 */
export function parseRender(text: string, opts: { source?: string; lineage?: 'flowmill' | 'otel' } = {}): Schema {
  const source = opts.source ?? '<render>';
  return packDocument(parseRenderAst(text, source), { source, lineage: opts.lineage });
}
