import { defineHunter } from '../../core/hunter.js';
import {
  classifyClientCertOnly,
  classifyHttp,
  UNIDENTIFIED,
  unansweredText,
  unreadableText,
  type Verdict,
} from './classify.js';
import { Conversation } from './conversation.js';

/**
 * Fingerprinting: every open port is asked what it is, over HTTP or HTTPS as it turns out to speak, and
 * classified by its answers, never by its number. Publishes ServiceFound for each port (kind `unknown`
 * when nothing is recognised, with the reason) and Version when a component disclosed one. A port whose
 * answers stopped (even when asked again with a longer deadline) is `unknown`, "unidentified (timed out)",
 * never "not Kubernetes", and a CoverageGap `unanswered`.
 */
export const fingerprintHunter = defineHunter({
  id: 'fingerprint',
  title: 'Identify the service on an open port by talking to it',
  mode: 'passive',
  on: 'PortOpen',
  async hunt(event, ctx) {
    const c = new Conversation(ctx.net, event.host, event.port);
    let verdict: Verdict;
    if (await c.open('/version')) verdict = await classifyHttp(c);
    else if (c.silence === 'tls-client-cert') verdict = classifyClientCertOnly(c);
    else if (c.silence === 'tls-failed') {
      verdict = { kind: 'unknown', evidence: [`speaks TLS but the handshake failed: ${c.silenceDetail}`] };
    } else if (c.silence === 'timeout') {
      verdict = {
        kind: 'unknown',
        evidence: [`${UNIDENTIFIED}: accepts connections but gave no answer in time (${c.silenceDetail})`],
      };
    } else {
      verdict = { kind: 'unknown', evidence: [`does not speak HTTP or HTTPS (${c.silenceDetail})`] };
    }
    // Cut short by its deadline or a stop, silence is not a verdict: the engine records the port as a gap.
    if (ctx.signal.aborted && verdict.kind === 'unknown') return;
    const service = ctx.publish('ServiceFound', {
      host: event.host,
      port: event.port,
      kind: verdict.kind,
      scheme: c.scheme ?? 'http',
      version: verdict.version,
      cert: c.cert,
      evidence: verdict.evidence,
    });
    if (verdict.kind === 'unknown' && c.unanswered.length > 0) {
      // A port that might be a Kubernetes component was not examined: its hunters never ran.
      ctx.gap(
        {
          host: event.host,
          port: event.port,
          subject: `port ${event.port}`,
          reason: 'unanswered',
          detail: unansweredText(c),
        },
        [service.id],
      );
    }
    if (verdict.kind === 'unknown' && c.unreadable.length > 0) {
      // Its answers were refused before parsing (a hostile document costs no memory): what they would
      // have told was not examined.
      ctx.gap(
        {
          host: event.host,
          port: event.port,
          subject: `port ${event.port}`,
          reason: 'cap',
          detail: unreadableText(c),
        },
        [service.id],
      );
    }
    if (verdict.version && verdict.component) {
      ctx.publish(
        'Version',
        { host: event.host, port: event.port, component: verdict.component, version: verdict.version },
        [service.id],
      );
    }
  },
});
