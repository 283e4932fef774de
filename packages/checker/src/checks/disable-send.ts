import { decode } from '@flowmill/raw-codec';
import { Evidence, plural, recEvidence, type CheckDef, type Rec } from '../framework.js';
import { fileChunks } from '../inputs.js';
import type { SinkConnection } from '../side-inputs.js';
import { plaintextAt } from './wire-scan.js';

/**
 * DISABLE_SEND, when the sink sent it (tls-sink's connection index says so: `disableSend.bytes`, the capture's size
 * then, or failing that `disableSend.at`, the sink's clock): the agent only sets `disabled_` (kernel_collector.cc@3598385a:573-579), which the two polling timers check
 * first and return (:212-216, 233-237). So afterwards the slow poll's records stop (agent_resource_usage, nic_stats:
 * :239-242), while the heartbeat timer (:126-128, 581-585) goes on and the connection stays up; what a half-full perf
 * ring drains (an event-driven poll) still reaches the intake. "Afterwards": the agent's clock when the sink had
 * received that many bytes (the latest timestamp in the frames before that offset) plus `disableSend.graceMs`.
 */
const SLOW_POLL = new Set(['agent_resource_usage', 'nic_stats']);

export const disableSend: CheckDef = {
  id: 'disable-send',
  title: 'after the sink sends DISABLE_SEND: the slow-poll records stop, heartbeats go on, the connection stays up',
  needs: ['wire'],
  disabled: (ctx) => (ctx.inputs.wireIndexes.length ? undefined : 'needs a tls-sink out dir (its connection index says whether DISABLE_SEND was sent)'),
  create(ctx) {
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const t = ctx.tol.disableSend;
    return {
      async finish() {
        const when = (c: SinkConnection) => (typeof c.disableSend?.bytes === 'number' ? 'bytes' : c.disableSend?.at && !Number.isNaN(Date.parse(c.disableSend.at)) ? 'at' : undefined);
        const sent = (ctx.connections ?? []).filter((c) => when(c) && c.path);
        if (!sent.length) return { status: 'not-run', reason: 'the sink sent no DISABLE_SEND (its connection index names none)' };
        const fig = { connections: sent.length, judged: 0, tooShortToJudge: 0, slowPollAfter: 0, heartbeatsAfter: 0, disabledForMs: [] as number[] };
        for (const c of sent) {
          // The decoder's offsets are plaintext offsets: where the capture stood when the sink sent the command. Without
          // a byte count, the sink's wall clock stands in (the agent's clock is wall-clock time as of its start).
          const byBytes = when(c) === 'bytes';
          const at = byBytes ? await plaintextAt(c.path!, c.disableSend!.bytes!) : Infinity;
          let td = byBytes ? 0n : BigInt(Date.parse(c.disableSend!.at!)) * 1_000_000n, last = 0n;
          const after: Rec[] = [];
          try {
            for await (const r of decode(fileChunks(c.path!), { kind: 'intake' }) as AsyncIterable<Rec>) {
              if (r.timestamp > last) last = r.timestamp;
              if (byBytes && r.offset < at) { if (r.timestamp > td) td = r.timestamp; } else if (SLOW_POLL.has(r.name) || r.name === 'heartbeat') after.push(r);
            }
          } catch { /* a connection cut off at its end: what was read is judged (the decode check names the cut) */ }
          const from = td + BigInt(Math.round(t.graceMs * 1e6));
          fig.disabledForMs.push(Math.round(Number(last - td) / 1e6));
          const late = after.filter((r) => r.timestamp > from);
          const span = BigInt(2 * ctx.tol.cadence.heartbeatMs) * 1_000_000n;
          if (last < from + span) { fig.tooShortToJudge++; continue; } // the run stopped soon after: nothing to say
          for (const r of late.filter((x) => SLOW_POLL.has(x.name))) {
            fig.slowPollAfter++;
            ev.add({ ...recEvidence('intake', r, `${r.name} ${((Number(r.timestamp - td)) / 1e6).toFixed(0)} ms after DISABLE_SEND reached the agent: the slow poll stops`), file: c.file });
          }
          const beats = late.filter((r) => r.name === 'heartbeat').length;
          fig.heartbeatsAfter += beats;
          // Two heartbeat periods after the grace with no heartbeat: the agent stopped or closed, which it must not.
          fig.judged++;
          if (beats === 0) ev.add({ note: `no heartbeat after DISABLE_SEND though the connection went on ${Number(last - from) / 1e6} ms: heartbeats do not stop`, file: c.file });
        }
        if (!fig.judged) return { status: 'not-run', reason: 'every connection ended too soon after DISABLE_SEND to judge (two heartbeat periods past the grace)', figures: fig };
        if (ev.empty) return { status: 'pass', figures: fig };
        return { status: 'fail', reason: [fig.slowPollAfter && `${plural(fig.slowPollAfter, 'slow-poll record')} after DISABLE_SEND`, ev.total > fig.slowPollAfter && 'heartbeats stopped after DISABLE_SEND'].filter(Boolean).join('; '), evidence: ev.items, figures: { ...fig, findings: ev.total } };
      },
    };
  },
};
