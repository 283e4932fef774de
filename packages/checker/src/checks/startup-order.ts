import { Evidence, plural, recEvidence, verdict, type CheckDef, type Rec } from '../framework.js';
import { big } from '../values.js';

/**
 * Per intake session (segment): version_info first (raw), then authz_authenticate (otel: connect), the metadata
 * block closed by metadata_complete, no heartbeat before it, then the steady-state markers once each and in order
 * (docs/checker-facts.md §2, §5 O1-O3; docs/agent-protocol.md §2.4).
 */
interface SegState {
  segment: number;
  index: number;
  seen: Map<string, Rec>;
  metadataDone?: Rec;
  nextMarker: number;
  first?: Rec;
}

export const startupOrder: CheckDef = {
  id: 'startup-order',
  title: 'each session starts version_info, authz, metadata … metadata_complete, then the steady-state markers once each, in order',
  needs: ['intake'],
  create(ctx) {
    const tol = ctx.tol.startup;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const segs: SegState[] = [];
    let cur: SegState | undefined;
    const markers = tol.markers;
    const onceOnly = new Set([...tol.metadata, ...markers, 'version_info', 'authz_authenticate', 'connect', 'metadata_complete']);
    const zeroTime = new Set(['metadata_complete', 'process_steady_state', 'socket_steady_state']);
    return {
      intake(r) {
        if (!cur || r.segment !== cur.segment) {
          cur = { segment: r.segment, index: 0, seen: new Map(), nextMarker: 0 };
          segs.push(cur);
        }
        const s = cur;
        const i = s.index++;
        if (i === 0 && r.name !== 'version_info') ev.add(recEvidence('intake', r, 'the session does not start with version_info'));
        if (i === 1 && r.name !== 'authz_authenticate' && r.name !== 'connect') ev.add(recEvidence('intake', r, 'the second record is not authz_authenticate (otel: connect)'));
        if (onceOnly.has(r.name)) {
          if (s.seen.has(r.name)) ev.add(recEvidence('intake', r, `${r.name} appears more than once in session ${r.segment}`));
          else s.seen.set(r.name, r);
        }
        if (zeroTime.has(r.name) && big(r.data.time) !== 0n) ev.add(recEvidence('intake', r, `${r.name}.time is not 0 (O3)`));
        if (tol.metadata.includes(r.name) && s.metadataDone) ev.add(recEvidence('intake', r, `${r.name} after metadata_complete`));
        if (r.name === 'metadata_complete') s.metadataDone = r;
        if (r.name === 'heartbeat' && !s.metadataDone) ev.add(recEvidence('intake', r, 'heartbeat before metadata_complete (O2)'));
        const m = markers.indexOf(r.name);
        if (m >= 0) {
          if (!s.metadataDone) ev.add(recEvidence('intake', r, `${r.name} before metadata_complete`));
          if (m < s.nextMarker) { /* a repeat: reported above */ }
          else if (m > s.nextMarker) ev.add(recEvidence('intake', r, `${r.name} before ${markers.slice(s.nextMarker, m).join(', ')}`));
          s.nextMarker = Math.max(s.nextMarker, m + 1);
        }
        if (r.name === 'collector_health' && (Number(r.data.status) !== 0)) ev.add(recEvidence('intake', r, 'collector_health status is not 0 (healthy)'));
      },
      finish() {
        // An empty capture has no session whose order could be right: not a pass (nothing was checked).
        if (segs.length === 0) return { status: 'fail', reason: 'the intake holds no record: no session to check', figures: { sessions: 0, reconnects: 0 } };
        segs.forEach((s, k) => {
          const last = k === segs.length - 1;
          const missing = ['metadata_complete', ...tol.metadata, ...markers].filter((n) => !s.seen.has(n));
          if (missing.length && !(last && tol.allowIncompleteLastSegment)) ev.add({ segment: s.segment, note: `session ${s.segment} never sent ${missing.join(', ')}`, records: s.index });
        });
        return verdict(ev, (n) => `${plural(n, 'ordering problem')} in ${plural(segs.length, 'session')}`, { sessions: segs.length, reconnects: Math.max(0, segs.length - 1) });
      },
    };
  },
};
