/** A mount as /proc/self/mountinfo (or, without the host path, /proc/self/mounts) describes it. */
export interface Mount {
  /** The directory of the source filesystem that is mounted (mountinfo's `root`); undefined from /proc/self/mounts. */
  root?: string;
  mountPoint: string;
  fstype: string;
  source: string;
  writable: boolean;
}

/** Paths in mount tables escape space, tab, newline and backslash as octal (`\040`). */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo: `id parent major:minor root mountpoint options [optional…] - fstype source super`. */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 3) continue;
    out.push({
      root: unescapeOctal(fields[3]),
      mountPoint: unescapeOctal(fields[4]),
      writable: fields[5].split(',').includes('rw'),
      fstype: fields[dash + 1],
      source: unescapeOctal(fields[dash + 2]),
    });
  }
  return out;
}

/** Parses /proc/self/mounts (fstab format): `source mountpoint fstype options dump pass`. */
export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    out.push({
      source: unescapeOctal(fields[0]),
      mountPoint: unescapeOctal(fields[1]),
      fstype: fields[2],
      writable: fields[3].split(',').includes('rw'),
    });
  }
  return out;
}

/** Filesystems that live on the node's disks: a mount of one is a piece of the host's filesystem. */
const DISK_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'vfat']);

/** Files the kubelet and the runtime bind into every container from the node's disk: not a hostPath. */
const MANAGED_MOUNT_POINTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/dev/termination-log']);

/** Where the kubelet and runtimes keep each pod's own volumes (emptyDir, configMap, …) on the node. */
const MANAGED_ROOTS = [
  '/var/lib/kubelet/pods/',
  '/var/lib/docker/',
  '/var/lib/containerd/',
  '/var/lib/containers/',
  '/run/containerd/',
  '/var/run/containerd/',
  '/run/k3s/',
];

/**
 * The writable mounts that are pieces of the host: a directory of a node disk other than the container's
 * root and the files every container gets, or a socket (a container runtime's, usually). With mountinfo the
 * host directory is known and the pod's own volumes (emptyDir and the like, kept under the kubelet's
 * directory) are told apart; /proc/self/mounts alone cannot tell an emptyDir on the node's disk from a
 * hostPath, so that fallback may name one.
 */
export function hostMounts(mounts: Mount[]): Mount[] {
  return mounts.filter((m) => {
    if (!m.writable || m.mountPoint === '/' || MANAGED_MOUNT_POINTS.has(m.mountPoint)) return false;
    if (m.root !== undefined && MANAGED_ROOTS.some((r) => m.root!.startsWith(r))) return false;
    if (m.mountPoint.endsWith('.sock')) return true;
    // A node whose own root is an overlay (kind, some appliances) serves hostPaths from it; only mountinfo
    // tells such a directory from an image layer.
    if (m.fstype === 'overlay') return m.root !== undefined;
    return DISK_FILESYSTEMS.has(m.fstype);
  });
}
