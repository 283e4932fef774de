export type {
  NsString, Endpoint, FourTuple, ProcessRef, TimeSpan, ClockInfo, WorkloadProfile, TcpItem, UdpItem, DnsAnswer,
  DnsItem, ProcessItem, HttpItem, WorkloadServers, AgentInfo, ToolVersions, WorkloadManifest, WorkloadEvent,
  MessageSelector, SimFaults, SimFaultRecord,
} from './manifest.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, MANIFEST_FILE, MANIFEST_EVENTS_FILE } from './manifest.js';
