import { defineHunter } from '../../core/hunter.js';
import { namespacesInCert } from '../../kubernetes/namespaces.js';

/**
 * The namespaces a serving certificate names as a Service's cluster DNS name (`hook.payments.svc`):
 * published as NamespaceSeen, like a kubelet's pods and etcd's keys, so the namespace survey asks about
 * them and a certificate read after the survey ended is a coverage gap (apiserver-namespaces-unsurveyed)
 * like any namespace seen late.
 */
export const certificateNamespacesHunter = defineHunter({
  id: 'certificate-namespaces',
  title: 'Namespaces named by the serving certificates found',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.cert !== undefined,
  async hunt(service, ctx) {
    const source = `the serving certificate of ${service.host}:${service.port}`;
    for (const namespace of namespacesInCert(service.cert!)) {
      ctx.publish('NamespaceSeen', { namespace, source, host: service.host, port: service.port });
    }
  },
});
