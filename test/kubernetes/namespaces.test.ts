import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespaceOfKey, namespacesInCert } from '../../src/kubernetes/namespaces.js';

// Pure parsing, no socket: the namespaces a certificate's names and etcd's key names give away. The hunts
// that read them from real servers are in test/hunters/apiserver/namespaces-seen.test.ts.

describe('namespaces in a certificate', () => {
  it('reads Service DNS names, with or without the cluster domain, wildcards included', () => {
    const sans = [
      'dns:kubernetes.default.svc',
      'dns:webhook.cert-manager.svc.cluster.local',
      'dns:*.monitoring.svc',
      'ip address:10.96.0.1',
      'dns:api.example.com',
    ];
    assert.deepEqual(namespacesInCert({ sans }).sort(), ['cert-manager', 'default', 'monitoring']);
  });

  it('names none from names that only look alike', () => {
    const sans = ['dns:svc.example.com', 'dns:a.b.svcx', 'dns:a.Bad_Name.svc', 'email:ops@x.svc', 'dns:.svc'];
    assert.deepEqual(namespacesInCert({ sans }), []);
  });
});

describe('the namespace of an etcd key', () => {
  it('reads namespaced keys of core, group and Service resources, and namespace objects', () => {
    assert.equal(namespaceOfKey('/registry/secrets/dev/ci-bot-token'), 'dev');
    assert.equal(namespaceOfKey('/registry/namespaces/ops'), 'ops');
    assert.equal(namespaceOfKey('/registry/services/specs/tools/web'), 'tools');
    assert.equal(namespaceOfKey('/registry/services/endpoints/tools/web'), 'tools');
    assert.equal(namespaceOfKey('/registry/cert-manager.io/certificates/edge/tls'), 'edge');
  });

  it('names none for cluster-scoped keys and keys that are not the API server’s', () => {
    for (const key of [
      '/registry/minions/node-1',
      '/registry/clusterroles/admin',
      '/registry/ranges/serviceips',
      '/registry/apiextensions.k8s.io/customresourcedefinitions/certificates.cert-manager.io',
      '/registry/namespaces/ops/extra',
      '/other/secrets/dev/x',
      '/registry/secrets/Not_A_Namespace/x',
    ]) {
      assert.equal(namespaceOfKey(key), undefined, key);
    }
  });
});
