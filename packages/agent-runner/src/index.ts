export type {
  NsString, Endpoint, FourTuple, ProcessRef, TimeSpan, ClockInfo, WorkloadProfile, TcpItem, UdpItem, DnsAnswer,
  DnsItem, ProcessItem, HttpItem, WorkloadServers, AgentInfo, ToolVersions, WorkloadManifest, WorkloadEvent,
  MessageSelector, SimFaults, SimFaultRecord,
} from './manifest.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, MANIFEST_FILE, MANIFEST_EVENTS_FILE } from './manifest.js';
export { runWorkload, manifestFromEvents, type WorkloadOptions, type WorkloadObservations } from './workload/run.js';
export { DEFAULT_PROFILE, resolveProfile, loadProfile, validateProfile, type ProfileInput } from './workload/profile.js';
export { startDnsResponder, answerFor, type DnsResponder, type DnsQueryLog } from './workload/dns-responder.js';
export { encodeQuery, parseQuestion, parseResponse, encodeResponse } from './workload/dns-wire.js';
export { AgentClock } from './clock.js';
export { AgentRunnerError, UsageError, MissingInputError, WouldOverwriteError, TimeoutError, UnreachableError, AuthzRejectedError, PreflightError, WorkloadError } from './errors.js';
export { runSimAgent, eventsOfManifest, DISABLE_SEND, READY_MESSAGE, EXIT_SIGTERM, TIMERS, type SimOptions, type SimAgent, type SimStats } from './sim/agent.js';
export type { SimEdit, SimRecord } from './sim/session-io.js';
export { simulateRun, type SimulateRunOptions, type SimulatedRun } from './sim-run/simulate-run.js';
export { fetchToken, decodeAuthzToken, authzUrl, makeAgentId, type AuthzToken, type FetchTokenOptions } from './sim/authz-client.js';
export { connectIntake, agentNameCheck, AGENT_TLS12_CIPHERS, type IntakeConnectOptions } from './sim/connect.js';
export type { Era } from './sim/encoding.js';
export { buildAgentCommand, renderCommand, shellQuote, maskArgv, authzTrustSteps, CONTAINER_RUN_DIR, CONTAINER_CA_FILE, MASK, type RealAgentOptions, type AgentCommand } from './real/command.js';
export { runRealAgent, detectEra, type RunRealOptions, type RealAgent } from './real/run.js';
export { describeAgentExit, isCleanStop, AGENT_READY, AGENT_EXIT, AGENT_SIGTERM_EXIT, DEFAULT_KEY_ID, DEFAULT_PORTS } from './real/exit-status.js';
export { startAgent } from './targets/index.js';
export { agentCommandFor } from './targets/command-for.js';
export { findCollector, COLLECTOR_EXECUTABLE } from './targets/docker.js';
export type { AgentTarget, AgentKind, AgentSetup, BinaryTarget, DockerTarget, SimulatedTarget, StartAgentOptions, RunningAgent, AgentExit } from './targets/types.js';
export { supervise, describeExit, StartError, type Supervised, type SuperviseOptions, type StopOptions, type ExitInfo, type SpawnFn, type OutputStream } from './process/supervise.js';
export { isAlive, descendants, cmdline, waitGone } from './process/proc.js';
export { preflight, type PreflightOptions, type PreflightReport, type PreflightCheck } from './real/preflight.js';
export { KERNELS, DEFAULT_KERNEL, BASE_MODULES, EXTRA_MODULES, kernelSpec, hasModules, type KernelSpec, type CachedKernel } from './vm/kernels.js';
export { kernelCacheDir, listCachedKernels, cachedKernel, fetchKernel, resolveKernel, kernelFromPath, kernelTable, type FetchOptions } from './vm/kernel-cache.js';
export { planGuest, type GuestPlan, type GuestOptions, type GuestRoot, type GuestFile, type Share } from './vm/plan.js';
export { guestInit, GUEST_MARK, HOST_ALIAS, GUEST_ADDRESS, KPROBE_EVENT } from './vm/guest-init.js';
export { buildInitramfs, stageInitramfs, BUSYBOX_STATIC, type InitramfsOptions } from './vm/initramfs.js';
export { qemuArgv, netdevArg, DEFAULT_MEMORY_MB, DEFAULT_CPUS, KERNEL_APPEND, type QemuOptions, type PortForward } from './vm/qemu-args.js';
export { startVm, prepareVm, type BootOptions, type Vm, type VmExit } from './vm/boot.js';
export { runVm, vmOutcome, type VmRunResult } from './vm/run-command.js';
export { parseMark, type GuestMark } from './vm/console-tail.js';
export { parseKernelTrace, writeKernelView, compareKernelView, KERNEL_VIEW_FORMAT, type KernelView, type KernelViewItem } from './vm/kernel-view.js';
export { vmPreflight, type VmCheck, type VmPreflightOptions } from './vm/preflight.js';
export { execFile, type Exec } from './vm/exec.js';
export { VmToolError, KernelNotFoundError, GuestFailedError, GuestTimeoutError } from './vm/errors.js';
export { startVmAgent, isVmAgent, planVmAgent, vmRecordingOptions, type VmTarget, type VmRunningAgent } from './targets/vm.js';
export { startVmRecording, planVmRecording, type VmRecordingOptions, type VmRecording } from './vm/recording.js';
export { guestRecordingScript, guestAgentCommand, GUEST_EXIT, GUEST_CA_FILE, type GuestAgent, type GuestAgentSetup, type GuestRecordingOptions } from './vm/agent-guest.js';
export { buildBpf, bpfDir, BPF_BUILD_FILES, BpfBuildError, BpfToolsMissingError, type BpfBuild, type BuildBpfOptions } from './bpf-real/build.js';
export { withRecorder, recorderHooks, recorderGuestNeeds, BPF_GUEST_MODULES, type RecorderGuestOptions } from './bpf-real/guest.js';
export { readAttachReport, summarizeAttach, AttachReportError, type AttachReport, type AttachSummary, type ProbeAttach } from './bpf-real/attach-report.js';
export { checkRealBpf, type RealBpfCheck } from './bpf-real/checks.js';
export { recordRealBpf, formatRealBpf, type RealBpfRunOptions, type RealBpfResult } from './bpf-real/run.js';
