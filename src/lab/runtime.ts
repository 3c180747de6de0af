import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ContainerFs, type FsEntry, FsError, MemoryFs } from './hostfs.js';
import type { CertKey } from './pki.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { isBulk } from './seed-bulk.js';
import type { Store } from './store.js';
import { boundClaims, type TokenSigner } from './tokens.js';
import type { LabHost } from './topology.js';

const SERVICE_ACCOUNTS = resourceOfKind(RESOURCES, 'ServiceAccount');
const SECRETS = resourceOfKind(RESOURCES, 'Secret');
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const KERNEL = '6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)';

export interface RuntimeDeps {
  store: Store;
  nodes: LabHost[];
  signer: TokenSigner;
  caCert: string;
  /** Each node's kubelet client certificate (system:node:<name>), kept in its /var/lib/kubelet/pki. */
  nodeCredentials: Map<string, CertKey>;
  remember: (secret: string) => void;
}

/** The answer to `/run`: output with exit status 0, or the error text a real kubelet answers with 500. */
export type RunResult = { ok: true; output: string } | { ok: false; error: string };

const hex = (text: string, n = 64) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** What a container has printed so far, by image: a few realistic lines. */
export function containerLog(pod: Pod, container: string): string {
  const image = pod.spec?.containers.find((c) => c.name === container)?.image ?? '';
  const at = pod.status?.startTime ?? '2024-01-01T00:00:00Z';
  if (image.includes('nginx')) {
    return [
      '/docker-entrypoint.sh: Configuration complete; ready for start up',
      `${at} [notice] 1#1: nginx/1.25.3`,
      `10.244.1.1 - - [${at}] "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.32"`,
      '',
    ].join('\n');
  }
  if (image.includes('coredns'))
    return '.:53\n[INFO] plugin/reload: Running configuration SHA512 = 591cf3\nCoreDNS-1.11.1\nlinux/amd64, go1.20.7, ae2bbc2\n';
  if (image.includes('kube-proxy')) {
    return `I0101 00:00:01.000000       1 server_others.go:72] "Using iptables proxy"\nI0101 00:00:01.100000       1 server.go:846] "Version info" version="${image.split(':').pop()}"\n`;
  }
  if (image.includes('fluentd'))
    return `${at} [info]: starting fluentd-1.16.2 pid=7 ruby="3.1.4"\n${at} [info]: following tail of /var/log/containers/*.log\n`;
  if (image.includes('dashboard'))
    return `${at} Starting overwatch\n${at} Using namespace: kubernetes-dashboard\n${at} Skipping in-cluster config: --enable-skip-login is set\n`;
  return '';
}

function hostFiles(node: LabHost, pods: Pod[], cred: CertKey | undefined, shadowHash: string): Record<string, string> {
  const auditLine = (cmd: string, i: number) =>
    `type=PROCTITLE msg=audit(1704067200.${100 + i}:${4000 + i}): proctitle=${Buffer.from(cmd.replace(/ /g, '\0')).toString('hex').toUpperCase()}`;
  const files: Record<string, string> = {
    '/etc/hostname': `${node.name}\n`,
    '/etc/hosts': `127.0.0.1\tlocalhost\n${node.address}\t${node.name}\n`,
    '/etc/os-release':
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
    '/etc/passwd':
      'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nadmin:x:1000:1000:,,,:/home/admin:/bin/bash\n',
    '/etc/shadow': `root:${shadowHash}:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\nadmin:!:19700:0:99999:7:::\n`,
    '/etc/kubernetes/kubelet.conf': [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      '- name: default-auth',
      '  user:',
      '    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem',
      '    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem',
      '',
    ].join('\n'),
    '/var/lib/kubelet/config.yaml': 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n',
    '/var/log/alternatives.log':
      'update-alternatives 2024-01-01 00:00:00: run with --install /usr/bin/iptables iptables /usr/sbin/iptables-legacy 10\n',
    '/var/log/apt/history.log':
      'Start-Date: 2024-01-01  00:00:00\nCommandline: apt-get install -y kubelet kubeadm kubectl\nEnd-Date: 2024-01-01  00:00:30\n',
    '/var/log/auth.log': `Jan  1 00:00:00 ${node.name} sshd[812]: Accepted publickey for admin from 10.0.0.10 port 52144 ssh2\n`,
    '/var/log/audit/audit.log': [
      auditLine('/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml', 0),
      auditLine('/usr/bin/containerd', 1),
      auditLine('sudo cat /etc/kubernetes/kubelet.conf', 2),
      '',
    ].join('\n'),
    '/var/log/dpkg.log': '2024-01-01 00:00:10 install kubelet:amd64 <none> 1.32.4-1.1\n',
    '/var/log/syslog': `Jan  1 00:00:01 ${node.name} systemd[1]: Started kubelet.service - kubelet: The Kubernetes Node Agent.\n`,
    '/var/log/journal/': '',
    '/var/log/containers/': '',
  };
  if (cred) files['/var/lib/kubelet/pki/kubelet-client-current.pem'] = `${cred.cert}${cred.key}`;
  for (const pod of pods) {
    const ns = pod.metadata?.namespace;
    const dir = `/var/log/pods/${ns}_${pod.metadata?.name}_${pod.metadata?.uid}`;
    for (const c of pod.spec?.containers ?? []) {
      files[`${dir}/${c.name}/0.log`] = containerLog(pod, c.name);
    }
  }
  return files;
}

function splitShellish(cmd: string): string[] {
  // The kubelet splits `cmd` on single spaces and runs the result without a shell.
  return cmd.split(' ');
}

/**
 * The simulated container runtime of every node: the hosts' filesystems, each container's own, and the
 * handful of commands `/run` can answer. Changes (symbolic links made with `ln -s`) last as long as the lab.
 */
export class Runtime {
  private readonly hosts = new Map<string, MemoryFs>();
  private readonly containers = new Map<string, { fs: ContainerFs; initial: string }>();

  constructor(private readonly deps: RuntimeDeps) {
    // Bulk pods (a lab seeded to a real cluster's size) get no container filesystem: only the lab's own run.
    const pods = deps.store
      .view(resourceOfKind(RESOURCES, 'Pod'))
      .filter((p) => !isBulk(p))
      .map((p) => structuredClone(p)) as unknown as Pod[];
    for (const node of deps.nodes) {
      const shadow = `$6$${randomBytes(8).toString('base64url')}$${randomBytes(64).toString('base64url')}`;
      deps.remember(shadow);
      const onNode = pods.filter((p) => p.spec?.nodeName === node.name);
      const fs = new MemoryFs(hostFiles(node, onNode, deps.nodeCredentials.get(node.name), shadow));
      for (const pod of onNode) {
        for (const c of pod.spec?.containers ?? []) {
          const id =
            (pod.status?.containerStatuses ?? []).find((s) => s.name === c.name)?.containerID?.split('//')[1] ??
            hex(c.name);
          fs.symlink(
            `/var/log/pods/${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}/${c.name}/0.log`,
            `/var/log/containers/${pod.metadata?.name}_${pod.metadata?.namespace}_${c.name}-${id}.log`,
          );
        }
      }
      this.hosts.set(node.name, fs);
    }
  }

  host(node: string): MemoryFs | undefined {
    return this.hosts.get(node);
  }

  private hostname(pod: Pod): string {
    return pod.spec?.hostNetwork ? (pod.spec.nodeName ?? '') : (pod.metadata?.name ?? '');
  }

  private bootstrap(pod: Pod, container: string): ContainerFs {
    const key = `${pod.metadata?.uid}/${container}`;
    const known = this.containers.get(key);
    if (known) return known.fs;
    const hostname = this.hostname(pod);
    const own = new MemoryFs({
      '/etc/hostname': `${hostname}\n`,
      '/etc/hosts': `127.0.0.1\tlocalhost\n${pod.status?.podIP ?? ''}\t${hostname}\n`,
      '/etc/os-release':
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
      '/root/': '',
      '/tmp/': '',
      '/var/log/': '',
    });
    const spec = pod.spec?.containers.find((c) => c.name === container);
    const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    const mounts: { mountPath: string; host: MemoryFs; hostPath: string }[] = [];
    const host = this.hosts.get(pod.spec?.nodeName ?? '');
    for (const m of spec?.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (v?.hostPath && host)
        mounts.push({ mountPath: posix.normalize(m.mountPath), host, hostPath: v.hostPath.path });
      if (v?.projected && m.mountPath === TOKEN_DIR) {
        const ns = pod.metadata?.namespace ?? 'default';
        const saName = pod.spec?.serviceAccountName ?? 'default';
        const sa = this.deps.store.get(SERVICE_ACCOUNTS, ns, saName);
        const node = pod.spec?.nodeName ? { name: pod.spec.nodeName, uid: hex(pod.spec.nodeName, 32) } : undefined;
        const token = this.deps.signer.sign(
          boundClaims(
            { namespace: ns, name: saName, uid: sa?.metadata.uid ?? '' },
            randomUUID(),
            { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
            node,
          ),
        );
        this.deps.remember(token);
        own.write(`${TOKEN_DIR}/token`, token);
        own.write(`${TOKEN_DIR}/namespace`, ns);
        own.write(`${TOKEN_DIR}/ca.crt`, this.deps.caCert);
      }
      if (v?.secret?.secretName && m.mountPath === TOKEN_DIR) {
        // Before 1.21 the kubelet mounts the account's token secret: its legacy token, as stored.
        const ns = pod.metadata?.namespace ?? 'default';
        const secret = this.deps.store.get(SECRETS, ns, v.secret.secretName);
        for (const [key, value] of Object.entries((secret?.data as Record<string, string>) ?? {}))
          own.write(`${TOKEN_DIR}/${key}`, Buffer.from(value, 'base64').toString('utf8'));
      }
    }
    const fs = new ContainerFs(own, mounts);
    this.containers.set(key, { fs, initial: JSON.stringify(own.entries()) });
    return fs;
  }

  private env(pod: Pod, container: string): string {
    const spec = pod.spec?.containers.find((c) => c.name === container);
    const vars: [string, string][] = [
      ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['HOSTNAME', this.hostname(pod)],
      ...(spec?.env ?? []).filter((e) => e.value !== undefined).map((e): [string, string] => [e.name, e.value ?? '']),
      ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
      ['KUBERNETES_SERVICE_PORT', '443'],
      ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
      ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'],
      ['HOME', '/root'],
    ];
    return `${vars.map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
  }

  /** Runs one of the simulated commands in a container, the way `POST /run/...?cmd=` does. */
  run(pod: Pod, container: string, cmd: string): RunResult {
    const fs = this.bootstrap(pod, container);
    const argv = splitShellish(cmd);
    const [exe, ...args] = argv;
    const exited = (code: number, stderr: string): RunResult => ({
      ok: false,
      error: `command '${cmd}' exited with ${code}: ${stderr}`,
    });
    const hostname = this.hostname(pod);
    switch (exe) {
      case 'id':
        return {
          ok: true,
          output: 'uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel)\n',
        };
      case 'whoami':
        return { ok: true, output: 'root\n' };
      case 'hostname':
        return { ok: true, output: `${hostname}\n` };
      case 'uname':
        if (args.includes('-a')) return { ok: true, output: `Linux ${hostname} ${KERNEL} x86_64 GNU/Linux\n` };
        if (args.includes('-r')) return { ok: true, output: '6.1.0-18-amd64\n' };
        return { ok: true, output: 'Linux\n' };
      case 'pwd':
        return { ok: true, output: '/\n' };
      case 'true':
        return { ok: true, output: '' };
      case 'echo':
        return { ok: true, output: `${args.join(' ')}\n` };
      case 'env':
      case 'printenv':
        return { ok: true, output: this.env(pod, container) };
      case 'cat': {
        let out = '';
        for (const file of args.filter(Boolean)) {
          const at = fs.locate(file);
          try {
            out += at.fs.read(at.path);
          } catch (err) {
            const why =
              err instanceof FsError && err.code === 'EISDIR' ? 'Is a directory' : 'No such file or directory';
            return exited(1, `cat: ${file}: ${why}\n`);
          }
        }
        return { ok: true, output: out };
      }
      case 'ls': {
        const paths = args.filter((a) => a && !a.startsWith('-'));
        const out: string[] = [];
        for (const p of paths.length ? paths : ['/']) {
          const at = fs.locate(p);
          const node = at.fs.stat(at.path);
          if (!node) return exited(2, `ls: cannot access '${p}': No such file or directory\n`);
          out.push(...(node.type === 'dir' ? at.fs.list(at.path) : [p]));
        }
        return { ok: true, output: out.length ? `${out.join('\n')}\n` : '' };
      }
      case 'ln': {
        const rest = args.filter(Boolean);
        if (rest[0] !== '-s' || rest.length !== 3) return exited(1, 'ln: only `ln -s TARGET LINK` is simulated\n');
        const [, target, link] = rest;
        const at = fs.locate(link);
        try {
          at.fs.symlink(target, at.path);
          return { ok: true, output: '' };
        } catch (err) {
          const why = err instanceof FsError && err.code === 'EEXIST' ? 'File exists' : 'No such file or directory';
          return exited(1, `ln: failed to create symbolic link '${link}': ${why}\n`);
        }
      }
      case 'rm': {
        const force = args.includes('-f');
        for (const p of args.filter((a) => a && !a.startsWith('-'))) {
          const at = fs.locate(p);
          try {
            at.fs.remove(at.path);
          } catch (err) {
            if (err instanceof FsError && err.code === 'EISDIR')
              return exited(1, `rm: cannot remove '${p}': Is a directory\n`);
            if (!force) return exited(1, `rm: cannot remove '${p}': No such file or directory\n`);
          }
        }
        return { ok: true, output: '' };
      }
      default: {
        const id =
          (pod.status?.containerStatuses ?? []).find((s) => s.name === container)?.containerID?.split('//')[1] ?? '';
        return {
          ok: false,
          error: `rpc error: code = Unknown desc = failed to exec in container: failed to start exec "${hex(`${id}/${cmd}`)}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${exe}": executable file not found in $PATH: unknown`,
        };
      }
    }
  }

  /** Host /var/log of every node, and each container filesystem that differs from how it started. */
  snapshot(): { hosts: Record<string, FsEntry[]>; containers: Record<string, FsEntry[]> } {
    const hosts: Record<string, FsEntry[]> = {};
    for (const [name, fs] of this.hosts) hosts[name] = fs.entries('/var/log');
    const containers: Record<string, FsEntry[]> = {};
    for (const [key, c] of [...this.containers].sort(([a], [b]) => a.localeCompare(b))) {
      const now = c.fs.own.entries();
      if (JSON.stringify(now) !== c.initial) containers[key] = now;
    }
    return { hosts, containers };
  }
}
