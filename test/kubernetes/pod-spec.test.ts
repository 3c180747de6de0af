import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { dangerousHostPath, podSpecWeaknesses } from '../../src/kubernetes/pod-spec.js';

const kbs = (spec: unknown) => podSpecWeaknesses(spec as PodSpec).map((w) => w.kb);

describe('pod spec checks', () => {
  it('names the dangerous host paths, and the directories above them', () => {
    assert.equal(dangerousHostPath('/'), "the node's root filesystem");
    assert.equal(dangerousHostPath('/var/run/docker.sock'), 'the container runtime socket');
    assert.equal(
      dangerousHostPath('/run/containerd/'),
      'holds /run/containerd/containerd.sock: the container runtime socket',
    );
    assert.equal(dangerousHostPath('/var/lib/kubelet/pods'), "the kubelet's credentials and every pod's volumes");
    assert.equal(dangerousHostPath('/etc/kubernetes/pki'), "the node's Kubernetes credentials and manifests");
    assert.equal(dangerousHostPath('/data/app'), undefined);
    assert.equal(dangerousHostPath('/var/logs'), undefined, 'a prefix of a name is not the directory');
  });

  it('reports each kind of weakness once, with what shows it', () => {
    const spec = {
      hostPID: true,
      hostIPC: true,
      volumes: [
        { name: 'sock', hostPath: { path: '/run/containerd/containerd.sock' } },
        { name: 'data', hostPath: { path: '/data' } },
      ],
      containers: [
        { name: 'a', securityContext: { capabilities: { add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] } } },
        { name: 'b', securityContext: { capabilities: { add: ['cap_sys_ptrace'] }, runAsNonRoot: true } },
      ],
    };
    const found = podSpecWeaknesses(spec as PodSpec);
    assert.deepEqual(
      found.map((w) => [w.kb, w.detail]),
      [
        ['KF-WORKLOAD-002', 'hostPID: true, hostIPC: true'],
        ['KF-WORKLOAD-003', 'hostPath /run/containerd/containerd.sock (the container runtime socket), /data'],
        ['KF-WORKLOAD-004', 'a adds SYS_ADMIN; b adds SYS_PTRACE'],
        [
          'KF-WORKLOAD-005',
          'container a may run as root (no runAsNonRoot or non-zero runAsUser, privilege escalation allowed, no capabilities dropped)',
        ],
      ],
    );
  });

  it('a restricted container is not root-unrestricted; root asked for explicitly is', () => {
    assert.deepEqual(kbs({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'a' }] }), []);
    assert.deepEqual(kbs({ containers: [{ name: 'a', securityContext: { allowPrivilegeEscalation: false } }] }), []);
    assert.deepEqual(kbs({ containers: [{ name: 'a', securityContext: { capabilities: { drop: ['ALL'] } } }] }), []);
    assert.deepEqual(kbs({ securityContext: { runAsNonRoot: true, runAsUser: 0 }, containers: [{ name: 'a' }] }), [
      'KF-WORKLOAD-005',
    ]);
  });

  it('survives garbage', () => {
    for (const junk of [undefined, null, 'spec', 42, { containers: 'x' }, { containers: [null, 3, { name: 5 }] }]) {
      assert.deepEqual(kbs(junk), []);
    }
  });
});
