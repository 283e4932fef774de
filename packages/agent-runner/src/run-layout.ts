/**
 * The run directory: the one place its file names are spelled. agent-runner writes the agent's recordings and the
 * manifest into it, tls-sink its per-connection captures (`intake/`), mock-authz its request log, the recipe the
 * logs, decoded NDJSON and run.json, and the checker reads it back. Every package imports these names from here
 * (`@flowmill/agent-runner/run-layout`); the README's "Run directory" section documents the same table for scripts.
 */
import { join, resolve } from 'node:path';
import { connFileName, JOURNAL, makeDirs } from '@flowmill/tls-sink';

/** File and directory names inside a run directory, by role. */
export const RUN_FILES = {
  /** tls-sink --out-dir: one capture per agent connection (`conn-0001.raw`, …) plus `connections.jsonl`. */
  intakeDir: 'intake',
  /** A single-file wire capture (`tls-sink --out FILE`): one or more connections back to back. */
  intakeFile: 'intake.raw',
  /** The agent's record file (FLOWMILL_RECORD_INTAKE_OUTPUT_PATH): the plaintext record stream. */
  record: 'intake.record',
  /** The agent's --bpf-dump-file. */
  bpf: 'bpf.raw',
  /** The workload manifest, written when the workload ends. */
  manifest: 'manifest.json',
  /** The workload's events as they happen (NDJSON), followed by the simulated agent; folded into the manifest. */
  manifestEvents: 'manifest.events.jsonl',
  /** mock-authz's request log, NDJSON. */
  authzLog: 'authz.jsonl',
  agentLog: 'agent.log',
  sinkLog: 'sink.log',
  workloadLog: 'workload.log',
  recipeLog: 'recipe.log',
  /** `recipe up`'s background server log. */
  serveLog: 'serve.log',
  /** Decoded recordings, one JSON record per line. */
  intakeNdjson: 'intake.ndjson',
  recordNdjson: 'record.ndjson',
  bpfNdjson: 'bpf.ndjson',
  /** Real BPF runs (`--bpf real`): bpf-recorder's attach report (probes, walks, counters, the guest kernel's release) and its log. */
  bpfAttach: 'bpf-attach.json',
  bpfRecorderLog: 'bpf-recorder.log',
  /** The tolerances the run was checked with when they differ from the checker's defaults. */
  checkConfig: 'check-config.json',
  /** The checker's reports. */
  checkJson: 'check.json',
  checkHtml: 'check.html',
  /** What ran: versions, era, flags, timings, file hashes, status. */
  runJson: 'run.json',
  /** `recipe up`'s state (present while the fake cloud runs). */
  state: 'cloud.json',
  /** VM runs (agent-runner vm, recipe run --vm): the guest's serial console. */
  vmConsole: 'vm-console.log',
  /** VM runs: the guest command's exit status, written by the guest's init before it powers off. */
  vmStatus: 'vm-exit-status',
  /** VM runs: created by the host to ask the guest to stop its command (SIGTERM to its session). */
  vmStop: 'vm-stop',
  /** VM runs: the generated guest init and qemu command line, for reading after the fact. */
  vmInit: 'vm-init.sh',
  vmJson: 'vm.json',
  /** VM runs: the guest kernel's tracefs buffer of the tcp_connect kprobe event, as the guest read it. */
  kernelTrace: 'kernel-tcp-connect.trace',
  /** VM runs: the guest kernel's own count of tcp_connect calls per destination port (from kernelTrace). */
  kernelView: 'kernel-view.json',
} as const;

export type RunFile = keyof typeof RUN_FILES;

/** Inside `intake/`: tls-sink's per-connection capture name and its connection index (tls-sink owns both). */
export const INTAKE_INDEX = JOURNAL;
export const intakeCaptureName = connFileName;
/** Matches a per-connection capture name; sorting the matches by name gives connection order. */
export const INTAKE_CAPTURE = /^conn-\d+\.raw$/;

/** Suffix of a file still being written; renamed away when complete. */
export const PARTIAL = '.partial';

/** A run directory's absolute paths. */
export interface RunLayout {
  readonly dir: string;
  path(name: RunFile): string;
  /** `intake/conn-NNNN.raw` of connection `id` (1-based, in accept order). */
  intakeCapture(id: number): string;
  /** `intake/connections.jsonl`. */
  intakeIndex(): string;
}

export function runLayout(dir: string): RunLayout {
  const abs = resolve(dir);
  return {
    dir: abs,
    path: (name) => join(abs, RUN_FILES[name]),
    intakeCapture: (id) => join(abs, RUN_FILES.intakeDir, intakeCaptureName(id)),
    intakeIndex: () => join(abs, RUN_FILES.intakeDir, INTAKE_INDEX),
  };
}

/**
 * Creates a run directory (and its parents) owner-only, one path component at a time: Node 20's `recursive: true`
 * loops forever under a path like `/proc/x`, so a mistyped `--run-dir` would hang instead of failing (tls-sink's
 * `makeDirs`, which its `--out-dir` uses for the same reason). Throws Node's own mkdir error otherwise.
 */
export function ensureRunDir(dir: string): void {
  makeDirs(dir, 0o700);
}
