import { createSocket } from 'node:dgram';
import type { ProfileInput } from '@flowmill/agent-runner';

/** Whether a workload profile chooses the DNS responder's port itself. */
export function profileSetsDnsPort(p: ProfileInput | undefined): boolean {
  return typeof p?.dns?.port === 'number';
}

/** Whether a UDP port can be bound right now (bound and released at once). */
export function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * The workload profiles for a run: a real agent run as root gets its DNS lookups on port 53 when that is free (the
 * agent's DNS probe only sees port 53, docs/checker-facts.md §3.3), unless the user's profile says otherwise.
 */
export async function workloadProfiles(o: { simulated: boolean; uid?: number; host: string; profile?: ProfileInput }): Promise<{ profiles: ProfileInput[]; dnsPort53: boolean }> {
  const profiles: ProfileInput[] = [];
  let dnsPort53 = false;
  if (!o.simulated && (o.uid ?? -1) === 0 && !profileSetsDnsPort(o.profile) && (await udpPortFree(o.host === '0.0.0.0' ? '127.0.0.1' : o.host, 53))) {
    profiles.push({ dns: { port: 53 } });
    dnsPort53 = true;
  }
  if (o.profile !== undefined) profiles.push(o.profile);
  return { profiles, dnsPort53 };
}
