import { defineHunter } from '../../core/hunter.js';
import { askApi, netFailure } from './api.js';

/**
 * Version disclosure (KHV002): /version answered without credentials. The Version event feeds the CVE
 * hunter; when the fingerprint already published it, the engine keeps the first one.
 */
export const versionDisclosureHunter = defineHunter({
  id: 'apiserver-version',
  title: 'API server discloses its version to anonymous callers',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'apiserver',
  reports: ['KF-API-003'],
  async hunt(service, ctx) {
    const target = { host: service.host, port: service.port, scheme: service.scheme };
    let answer: Awaited<ReturnType<typeof askApi>>;
    try {
      answer = await askApi(ctx, target, { path: '/version' });
    } catch (err) {
      // The access hunters on the same server say it in a warning; one line per server is enough.
      ctx.log(`/version: ${netFailure(err)}`);
      return;
    }
    const body = answer.kind === 'ok' ? answer.body : undefined;
    const gitVersion = typeof body?.gitVersion === 'string' ? body.gitVersion.slice(0, 80) : undefined;
    if (!gitVersion) {
      ctx.log(`/version: ${answer.kind === 'unusable' ? answer.why : `${answer.kind}`}`);
      return;
    }
    const version = ctx.publish('Version', {
      host: target.host,
      port: target.port,
      component: 'kubernetes',
      version: gitVersion,
    });
    const details = [body?.goVersion, body?.buildDate && `built ${body.buildDate}`, body?.platform]
      .filter((x): x is string => typeof x === 'string')
      .map((x) => x.slice(0, 40));
    ctx.report(
      {
        kb: 'KF-API-003',
        host: target.host,
        port: target.port,
        path: '/version',
        object: `Kubernetes ${gitVersion}`,
        evidence: `GET /version without credentials → ${gitVersion}${details.length ? ` (${details.join(', ')})` : ''}`,
      },
      [version.id],
    );
  },
});
