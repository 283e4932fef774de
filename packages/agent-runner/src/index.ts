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
export { fetchToken, decodeAuthzToken, authzUrl, makeAgentId, type AuthzToken, type FetchTokenOptions } from './sim/authz-client.js';
export { connectIntake, agentNameCheck, AGENT_TLS12_CIPHERS, type IntakeConnectOptions } from './sim/connect.js';
export type { Era } from './sim/encoding.js';
export { buildAgentCommand, renderCommand, RUN_FILES, CONTAINER_RUN_DIR, CONTAINER_CA_FILE, MASK, type RealAgentOptions, type AgentCommand } from './real/command.js';
export { runRealAgent, detectEra, AGENT_READY, type RunRealOptions, type RealAgent, type AgentExit } from './real/run.js';
export { describeAgentExit } from './real/exit-status.js';
export { preflight, type PreflightOptions, type PreflightReport, type PreflightCheck } from './real/preflight.js';
