export { diffSchemas, jsonShape } from './compare.js';
export { diffFails, renderSchemaDiffTable, schemaDiffSummary, type FailOn } from './report.js';
export { KIND_BREAKS, type Breaks, type ChangeKind, type SchemaChange, type SchemaDiff, type SchemaDiffSide } from './types.js';
