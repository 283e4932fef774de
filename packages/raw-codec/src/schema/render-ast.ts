/** What the render parser keeps from a `.render` file: enough to lay out wire messages. */
export interface AstField { number: number | null; type: string; name: string; arrayLength: number | null; line: number }
export interface AstMessage {
  declaredId: number; type: 'start' | 'end' | 'log' | 'msg'; name: string; ref: string | null;
  description?: string; severity?: number; noAuthorizationNeeded: boolean; pipelineOnly: boolean;
  fields: AstField[]; line: number;
}
export interface AstSpan { name: string; index: string[]; definitions: AstField[]; singleton: boolean; proxy?: string; messages: AstMessage[] }
export interface AstApp { name: string; spans: AstSpan[]; line: number }
export interface AstDocument { package: string; namespace: Map<string, [number, number][]>; apps: AstApp[] }
