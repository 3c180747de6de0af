import type { EventPayloads } from '../../core/events.js';
import { defineHunter } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { bytes, count, describeCommandLine, said, sample } from '../evidence.js';
import { ServiceProbe } from '../probe.js';
import { observeConfigz } from './observations.js';
import { partial, podListOf, podsGap, readPods } from './pod-list.js';
import { kubeletOf } from './target.js';

/**
 * A pod name no kubelet runs. POST /run is probed against it with an empty command, as kube-hunter did: a
 * kubelet that lets the caller through looks the pod up and answers 404 "pod does not exist", so nothing
 * reaches the container runtime and nothing is executed.
 */
export const ABSENT_POD = 'kubeferret-absent-pod';

const enc = (parts: string[]) => parts.map(encodeURIComponent).join('/');

/**
 * Whether a streaming handler (exec, attach, port-forward) let a request without an upgrade through:
 * a current kubelet answers "Upgrade request required" (500, 400 from some versions), one with the
 * legacy CRI streaming redirect sends 302 to /cri/…, and a handler reached for a pod that went away
 * answers "pod does not exist". 401/403, and 404 "page not found" (debugging handlers off), do not.
 */
export function streamAllowed(res: HttpResponse): string | undefined {
  const text = res.text().slice(0, 512);
  if ((res.status === 500 || res.status === 400) && /Upgrade request required/i.test(text)) {
    return '"Upgrade request required": the kubelet accepted the request and wants only a stream upgrade (none was asked for, no stream opened)';
  }
  const location = res.headers.location ?? '';
  if (res.status >= 300 && res.status < 400 && /\/cri\/(exec|attach|portforward)\//i.test(location)) {
    // The location carries a one-time streaming token: named, not shown.
    return "redirect to the container runtime's streaming server (/cri/…)";
  }
  if (res.status === 404 && /pod does not exist/.test(text)) return '"pod does not exist": the handler was reached';
  if (res.status === 400 && /at least 1 of stdin, stdout, stderr/.test(text)) {
    return '"you must specify at least 1 of stdin, stdout, stderr": the handler was reached';
  }
  return undefined;
}

/** The kubelet's /logs/ directory listing (Go's http.FileServer): the entries it names. */
export function listedEntries(res: HttpResponse): string[] | undefined {
  if (res.status !== 200) return undefined;
  const text = res.text();
  if (!/<pre>/i.test(text) && !/<a href="/i.test(text)) return undefined;
  return [...text.matchAll(/<a href="([^"?#]*)">/g)]
    .map((m) => {
      try {
        return decodeURIComponent(m[1]);
      } catch {
        return m[1];
      }
    })
    .filter((n) => n && n !== '../');
}

/** The settings of /configz that say how the kubelet lets callers in. */
export function configSummary(res: HttpResponse): string | undefined {
  if (res.status !== 200) return undefined;
  const config = res.json<{ kubeletconfig?: Record<string, unknown> }>()?.kubeletconfig;
  if (!config || typeof config !== 'object') return undefined;
  const auth = (config.authentication ?? {}) as { anonymous?: { enabled?: unknown }; webhook?: { enabled?: unknown } };
  const authz = (config.authorization ?? {}) as { mode?: unknown };
  const settings: [string, unknown][] = [
    ['authentication.anonymous.enabled', auth.anonymous?.enabled],
    ['authentication.webhook.enabled', auth.webhook?.enabled],
    ['authorization.mode', authz.mode],
    ['readOnlyPort', config.readOnlyPort],
    ['enableDebuggingHandlers', config.enableDebuggingHandlers],
    ['protectKernelDefaults', config.protectKernelDefaults],
  ];
  const known = settings.filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v));
  return `kubelet configuration${known.length ? ` (${known.map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`;
}

/**
 * Probes the handlers of a kubelet that answers anonymous requests, each the way kube-hunter did and
 * none of them executing anything: the running pods, the command line, the configuration, the node's
 * /logs/, one real container's logs (a few bytes, not kept), exec, attach and port-forward without an
 * upgrade (so no stream opens), and POST /run with an empty command for a pod that does not exist — the
 * one POST a passive kubelet hunter sends.
 */
export const kubeletDebugHandlersHunter = defineHunter({
  id: 'kubelet-debug-handlers',
  title: 'Kubelet debugging handlers open to anonymous callers (logs, exec, run, attach, port-forward, …)',
  mode: 'passive',
  on: 'Finding',
  when: (f) => f.kb === 'KF-KUBELET-001',
  reports: [
    'KF-KUBELET-003',
    'KF-KUBELET-004',
    'KF-KUBELET-005',
    'KF-KUBELET-006',
    'KF-KUBELET-007',
    'KF-KUBELET-008',
    'KF-KUBELET-012',
    'KF-KUBELET-013',
    'KF-KUBELET-016',
  ],
  readOnlyRequests: [
    {
      method: 'POST',
      path: '/run/',
      why: `an empty command (cmd=) for the pod ${ABSENT_POD}, which does not exist: the kubelet answers 404 before anything reaches the container runtime`,
    },
  ],
  async hunt(trigger, ctx) {
    const kubelet = kubeletOf(ctx, trigger);
    if (!kubelet) return;
    const probe = new ServiceProbe(ctx, kubelet);
    const report = (f: Omit<EventPayloads['Finding'], 'host' | 'port'>) =>
      ctx.report({ host: kubelet.host, port: kubelet.port, ...f });

    const running = await readPods(probe, '/runningpods/');
    const cmdline = await probe.get('/debug/pprof/cmdline', { maxBytes: 64 * 1024 });
    const configz = await probe.get('/configz');
    const logs = await probe.get('/logs/');
    const podsRead = await readPods(probe);
    const runningList = podListOf(running);
    if (running && runningList) {
      const what = `${count(runningList.count, 'running pod')}${partial(running)}`;
      report({ kb: 'KF-KUBELET-003', path: '/runningpods/', evidence: said(running, what) });
    }
    if (running) podsGap(ctx, kubelet, running);
    if (podsRead) podsGap(ctx, kubelet, podsRead);
    const command = cmdline && describeCommandLine(cmdline);
    if (cmdline && command)
      report({ kb: 'KF-KUBELET-013', path: '/debug/pprof/cmdline', evidence: said(cmdline, command) });
    const config = configz && configSummary(configz);
    if (configz && config) report({ kb: 'KF-KUBELET-016', path: '/configz', evidence: said(configz, config) });
    if (configz) observeConfigz(ctx, kubelet.host, configz);
    const entries = logs && listedEntries(logs);
    if (logs && entries) {
      const listing = `a listing of the node's /var/log with ${count(entries.length, 'entry', 'entries')} (${sample(entries, 6)})`;
      report({ kb: 'KF-KUBELET-012', path: '/logs/', evidence: said(logs, listing) });
    }

    const target = podListOf(podsRead)?.target;
    if (target) {
      const { namespace, pod, container } = target;
      const object = `container ${namespace}/${pod}/${container}`;
      const logRead = (res: HttpResponse) =>
        res.status === 200 ? `${bytes(res.body.length)} of its log (not kept)` : undefined;
      const handlers: [kb: string, path: string, query: string, reads: (res: HttpResponse) => string | undefined][] = [
        ['KF-KUBELET-004', `/containerLogs/${enc([namespace, pod, container])}`, '?tailLines=1&limitBytes=64', logRead],
        [
          'KF-KUBELET-005',
          `/exec/${enc([namespace, pod, container])}`,
          '?command=&input=1&output=1&tty=1',
          streamAllowed,
        ],
        ['KF-KUBELET-007', `/portForward/${enc([namespace, pod])}`, '?port=80', streamAllowed],
        ['KF-KUBELET-008', `/attach/${enc([namespace, pod, container])}`, '?input=1&output=1&tty=1', streamAllowed],
      ];
      for (const [kb, path, query, reads] of handlers) {
        const res = await probe.get(`${path}${query}`, { maxBytes: 4096 });
        const what = res && reads(res);
        if (res && what) report({ kb, path, object, evidence: said(res, what) });
      }
    }

    const runPath = `/run/${enc([target?.namespace ?? 'default', ABSENT_POD, target?.container ?? 'probe'])}`;
    const run = await probe.send(`${runPath}?cmd=`, { method: 'POST', maxBytes: 4096 });
    if (run?.status === 404 && /pod does not exist/.test(run.text().slice(0, 512))) {
      report({
        kb: 'KF-KUBELET-006',
        path: '/run/',
        evidence: `${said(run, '"pod does not exist"', 'POST')}: the kubelet let an anonymous POST through to /run and looked the pod up (an empty command, for a pod that does not exist: nothing ran)`,
      });
    }
  },
});
