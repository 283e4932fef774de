import { Evidence, plural, recEvidence, type CheckDef } from '../framework.js';
import { big, cstr, num } from '../values.js';

/**
 * Agent health (docs/checker-facts.md §8.15): no lost perf samples (bpf_lost_samples), no bpf_log (intake or dump, as
 * the otel test requires), no log_message at error level or above after begin_telemetry, no reconnect.
 */
export const health: CheckDef = {
  id: 'health',
  title: 'no bpf_lost_samples, no bpf_log, no error-level log_message after begin_telemetry, no reconnect',
  needs: ['intake'],
  create(ctx) {
    const t = ctx.tol.health;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    let lost = 0n;
    let bpfLogIntake = 0;
    let bpfLogDump = 0;
    let errors = 0;
    let intakeRecords = 0;
    let seg = -1;
    let telemetry = false;
    const lostEv: unknown[] = [];
    const logEv: unknown[] = [];
    const errEv: unknown[] = [];
    const levels: Record<string, number> = {};
    return {
      bpf(r) {
        if (r.name === 'bpf_log') {
          bpfLogDump++;
          if (logEv.length < ctx.tol.report.maxEvidence) logEv.push(recEvidence('bpf', r, 'bpf_log in the dump'));
        }
      },
      intake(r) {
        intakeRecords++;
        if (r.segment !== seg) { seg = r.segment; telemetry = false; }
        if (r.name === 'begin_telemetry') telemetry = true;
        else if (r.name === 'bpf_lost_samples') {
          lost += big(r.data.count);
          if (lostEv.length < ctx.tol.report.maxEvidence) lostEv.push(recEvidence('intake', r, 'perf samples lost'));
        } else if (r.name === 'bpf_log') {
          bpfLogIntake++;
          if (logEv.length < ctx.tol.report.maxEvidence) logEv.push(recEvidence('intake', r, 'bpf_log in the intake'));
        } else if (r.name === 'log_message') {
          const level = num(r.data.log_level);
          levels[level] = (levels[level] ?? 0) + 1;
          if (telemetry && level >= t.failLogLevel) {
            errors++;
            if (errEv.length < ctx.tol.report.maxEvidence) errEv.push({ ...recEvidence('intake', r, `log_message level ${level}`), message: cstr(r.data.message) });
          }
        }
      },
      finish() {
        // Nothing to judge: an empty intake is not a healthy agent (decode and startup-order say why it is empty).
        if (intakeRecords === 0) return { status: 'not-run', reason: 'the intake holds no records' };
        const reconnects = Math.max(0, ctx.segments.length - 1);
        const reasons: string[] = [];
        if (lost > BigInt(t.maxLostSamples)) { reasons.push(`${lost} perf samples lost`); lostEv.forEach((e) => ev.add(e)); }
        const bpfLog = bpfLogIntake + bpfLogDump;
        if (bpfLogIntake > t.maxBpfLog || bpfLogDump > t.maxBpfLog) { reasons.push(`${plural(bpfLogIntake, 'bpf_log')} in the intake, ${bpfLogDump} in the dump`); logEv.forEach((e) => ev.add(e)); }
        if (errors) { reasons.push(`${plural(errors, 'error-level log_message')}`); errEv.forEach((e) => ev.add(e)); }
        if (reconnects > t.maxReconnects) {
          reasons.push(`${plural(reconnects, 'reconnect')}`);
          for (const s of ctx.segments.slice(1)) ev.add({ segment: s.segment, note: 'a new session (version_info) began: the agent reconnected', firstTs: s.firstTs.toString() });
        }
        const figures = { lostSamples: lost.toString(), bpfLogIntake, bpfLogDump, bpfLog, errorLogs: errors, logLevels: levels, reconnects };
        if (reasons.length) return { status: 'fail', reason: reasons.join('; '), evidence: ev.items, figures };
        return { status: 'pass', figures };
      },
    };
  },
};
