/** What `diffSchemas` reports: one entry per change, each classified by what it breaks. */

export type ChangeKind =
  | 'app-added' | 'app-removed'
  | 'message-added' | 'message-removed' | 'message-renamed' | 'rpc-id-changed' | 'rpc-id-reused'
  | 'declared-id-changed' | 'fixed-to-dynamic' | 'dynamic-to-fixed' | 'size-changed'
  | 'field-added' | 'field-removed' | 'field-renamed' | 'field-retyped' | 'field-resized' | 'field-moved'
  | 'field-number-changed';

/**
 * What a change breaks. `recording`: an old recording decoded with the new schema (the decoder finds the layout by
 * rpc id). `reducer`: a new agent talking to an old reducer (the reducer's Protocol::handle looks the rpc id up and
 * reads its fixed size; an unknown id is -ENOENT and the rest of the buffer is lost,
 * renderc/src/generator/ProtocolGenerator.xtend@3598385a:246-256). `json`: consumers of the decoded JSON (names of
 * messages and fields, and the JSON shape of a value: number, decimal string, array).
 */
export interface Breaks { recording: boolean; reducer: boolean; json: boolean }

export interface SchemaChange {
  app: string;
  kind: ChangeKind;
  /** The message's name (the new name for a rename); absent for app-level changes. */
  message?: string;
  field?: string;
  /** The old and new value of what changed (rpc id, offset, type, size, name). */
  from?: string | number;
  to?: string | number;
  breaks: Breaks;
  /** True when any of `breaks` is. */
  breaking: boolean;
  /** One line for a person. */
  detail: string;
}

export interface SchemaDiffSide { name: string; source: string; lineage: string }

export interface SchemaDiff {
  old: SchemaDiffSide;
  new: SchemaDiffSide;
  changes: SchemaChange[];
  summary: {
    changes: number;
    breaking: number;
    /** Changes per kind, kinds with none left out. */
    byKind: Partial<Record<ChangeKind, number>>;
    /** Changes that break each audience. */
    breaks: Record<keyof Breaks, number>;
  };
}

/** The fixed classification of each kind (what a person can look up; `field-resized`/`-retyped` refine `json`). */
export const KIND_BREAKS: Record<ChangeKind, Breaks> = {
  'app-added': { recording: false, reducer: true, json: false },
  'app-removed': { recording: true, reducer: false, json: true },
  // an old reducer has no handler for the new id: -ENOENT (ProtocolGenerator.xtend@3598385a:246-256)
  'message-added': { recording: false, reducer: true, json: false },
  // the new decoder has no layout for the old id; JSON consumers lose the name
  'message-removed': { recording: true, reducer: false, json: true },
  'message-renamed': { recording: false, reducer: false, json: true },
  // ids are on the wire: old records are read as another message (or none), and so are the new agent's by an old reducer
  'rpc-id-changed': { recording: true, reducer: true, json: false },
  'rpc-id-reused': { recording: true, reducer: true, json: false },
  // the declared number only orders messages for the packer: the wire carries the packed rpc id
  'declared-id-changed': { recording: false, reducer: false, json: false },
  'fixed-to-dynamic': { recording: true, reducer: true, json: false },
  'dynamic-to-fixed': { recording: true, reducer: true, json: false },
  'size-changed': { recording: true, reducer: true, json: false },
  // the new field reads bytes an old agent left as padding (or did not send); an old reducer skips them. Any field it
  // pushes aside and any size change are changes of their own (field-moved, size-changed), which break the reducer
  'field-added': { recording: true, reducer: false, json: false },
  'field-removed': { recording: true, reducer: true, json: true },
  'field-renamed': { recording: false, reducer: false, json: true },
  'field-retyped': { recording: true, reducer: true, json: false },
  'field-resized': { recording: true, reducer: true, json: false },
  'field-moved': { recording: true, reducer: true, json: false },
  // renderc uses field numbers only for descriptors: the layout follows declaration order
  'field-number-changed': { recording: false, reducer: false, json: false },
};
