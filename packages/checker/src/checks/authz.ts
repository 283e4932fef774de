import { Evidence, plural, recEvidence, verdict, type CheckDef, type Rec } from '../framework.js';
import { cstr, isoOfNs } from '../values.js';

/**
 * The token each session presented in authz_authenticate is one mock-authz issued (a 200 response carrying it),
 * and it was not expired when presented (docs/agent-protocol.md §1.4: the agent never checks expiry itself; §1.6).
 */
export const authz: CheckDef = {
  id: 'authz',
  title: 'the token the agent presented is one mock-authz issued, and was not expired',
  needs: ['intake', 'authzLog'],
  create(ctx) {
    const skewNs = BigInt(Math.round(ctx.tol.authz.clockSkewS * 1e9));
    const presented: Rec[] = [];
    let otelConnects = 0;
    return {
      intake(r) {
        if (r.name === 'authz_authenticate') presented.push(r);
        else if (r.name === 'connect') otelConnects++;
      },
      finish() {
        const ev = new Evidence(ctx.tol.report.maxEvidence);
        const issued = (ctx.authzLog ?? []).filter((e) => e.status === 200 && typeof e.token === 'string');
        const byToken = new Map<string, typeof issued>();
        for (const e of issued) byToken.set(e.token!, [...(byToken.get(e.token!) ?? []), e]);
        if (presented.length === 0 && otelConnects > 0) return { status: 'not-run', reason: 'an OpenTelemetry-era agent (connect) presents no token (docs/eras.md)', figures: { issued: issued.length } };
        if (presented.length === 0) return { status: 'fail', reason: 'no authz_authenticate in the intake', figures: { issued: issued.length } };
        for (const r of presented) {
          const token = cstr(r.data.token);
          const cands = byToken.get(token);
          if (!cands) { ev.add({ ...recEvidence('intake', r, 'this token was never issued by mock-authz'), token, issuedTokens: [...byToken.keys()].slice(0, 5) }); continue; }
          // Some issue of this token must cover the moment it was presented (within the clock skew).
          const ok = cands.some((e) => {
            const iat = e.issuedAtS !== undefined ? BigInt(Math.trunc(Number(e.issuedAtS))) * 1_000_000_000n : undefined;
            const exp = e.expirationS !== undefined ? BigInt(Math.trunc(Number(e.expirationS))) * 1_000_000_000n : undefined;
            return (iat === undefined || r.timestamp + skewNs >= iat) && (exp === undefined || r.timestamp <= exp + skewNs);
          });
          if (!ok) {
            const e = cands[cands.length - 1];
            ev.add({ ...recEvidence('intake', r, 'the token was expired (or not yet issued) when presented'), token, presentedAt: isoOfNs(r.timestamp), issuedAtS: e.issuedAtS, expirationS: e.expirationS });
          }
        }
        return verdict(ev, (n) => `${plural(n, 'session')} presented a bad token`, { presented: presented.length, issued: issued.length, requests: ctx.authzLog?.length ?? 0 });
      },
    };
  },
};
