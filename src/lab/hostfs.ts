import { posix } from 'node:path';

export type FsNode = { type: 'file'; content: string } | { type: 'dir' } | { type: 'symlink'; target: string };

/** One entry of a listing, for snapshots. */
export interface FsEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  target?: string;
}

export class FsError extends Error {
  constructor(readonly code: 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ELOOP') {
    super(code);
  }
}

const MAX_LINKS = 40;

/**
 * A small in-memory filesystem with directories, files and symbolic links: a node's host filesystem or
 * a container's own. Paths are absolute; links resolve within the same filesystem.
 */
export class MemoryFs {
  private readonly nodes = new Map<string, FsNode>([['/', { type: 'dir' }]]);

  constructor(files: Record<string, string> = {}) {
    for (const [path, content] of Object.entries(files)) this.write(path, content);
  }

  private mkdirs(dir: string): void {
    if (this.nodes.has(dir)) return;
    this.mkdirs(posix.dirname(dir));
    this.nodes.set(dir, { type: 'dir' });
  }

  /** Writes a file (or, for a path ending in `/`, makes a directory), creating parents. */
  write(path: string, content: string): void {
    if (path.endsWith('/')) {
      this.mkdirs(posix.normalize(path).replace(/\/$/, '') || '/');
      return;
    }
    const p = posix.normalize(path);
    this.mkdirs(posix.dirname(p));
    this.nodes.set(p, { type: 'file', content });
  }

  /** The real path of `path`, links followed (the last one only when `followLast`). */
  resolve(path: string, followLast = true): string {
    const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
    let current = '/';
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift()!;
      const next = posix.join(current, part);
      const node = this.nodes.get(next);
      if (node?.type === 'symlink' && (parts.length > 0 || followLast)) {
        if (++hops > MAX_LINKS) throw new FsError('ELOOP');
        const target = node.target.startsWith('/') ? node.target : posix.join(current, node.target);
        parts.unshift(...posix.normalize(target).split('/').filter(Boolean));
        current = '/';
        continue;
      }
      if (parts.length > 0 && node && node.type !== 'dir') throw new FsError('ENOTDIR');
      if (parts.length > 0 && !node) throw new FsError('ENOENT');
      current = next;
    }
    return current;
  }

  stat(path: string, followLast = true): FsNode | undefined {
    try {
      return this.nodes.get(this.resolve(path, followLast));
    } catch {
      return undefined;
    }
  }

  read(path: string): string {
    const node = this.nodes.get(this.resolve(path));
    if (!node) throw new FsError('ENOENT');
    if (node.type === 'dir') throw new FsError('EISDIR');
    return node.type === 'file' ? node.content : '';
  }

  /** The names in a directory, sorted; directories end in `/` when `markDirs`. */
  list(path: string, markDirs = false): string[] {
    const dir = this.resolve(path);
    const node = this.nodes.get(dir);
    if (!node) throw new FsError('ENOENT');
    if (node.type !== 'dir') throw new FsError('ENOTDIR');
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names: string[] = [];
    for (const [p, n] of this.nodes) {
      if (p === dir || !p.startsWith(prefix) || p.slice(prefix.length).includes('/')) continue;
      const name = p.slice(prefix.length);
      const isDir = n.type === 'dir' || (n.type === 'symlink' && this.stat(p)?.type === 'dir');
      names.push(markDirs && isDir ? `${name}/` : name);
    }
    return names.sort();
  }

  symlink(target: string, link: string): void {
    const parent = this.resolve(posix.dirname(posix.normalize(`/${link}`)));
    if (this.nodes.get(parent)?.type !== 'dir') throw new FsError('ENOENT');
    const at = posix.join(parent, posix.basename(link));
    if (this.nodes.has(at)) throw new FsError('EEXIST');
    this.nodes.set(at, { type: 'symlink', target });
  }

  /** Removes a file or link (not a directory), like `rm`. */
  remove(path: string): void {
    const at = this.resolve(path, false);
    const node = this.nodes.get(at);
    if (!node) throw new FsError('ENOENT');
    if (node.type === 'dir') throw new FsError('EISDIR');
    this.nodes.delete(at);
  }

  /** Every entry under `dir` (itself excluded), sorted by path. */
  entries(dir = '/'): FsEntry[] {
    const base = posix.normalize(dir);
    const prefix = base === '/' ? '/' : `${base}/`;
    return [...this.nodes]
      .filter(([p]) => p.startsWith(prefix) && p !== base)
      .map(([path, n]) => (n.type === 'symlink' ? { path, type: n.type, target: n.target } : { path, type: n.type }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }
}

/** A container's view: its own filesystem with host directories mounted over parts of it. */
export class ContainerFs {
  constructor(
    readonly own: MemoryFs,
    /** Longest mount paths first. */
    private readonly mounts: { mountPath: string; host: MemoryFs; hostPath: string }[],
  ) {
    this.mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
  }

  /** The filesystem and path inside it that a container path lands on. */
  locate(path: string): { fs: MemoryFs; path: string } {
    const p = posix.normalize(`/${path}`);
    for (const m of this.mounts) {
      if (p === m.mountPath || p.startsWith(`${m.mountPath}/`)) {
        return { fs: m.host, path: posix.join(m.hostPath, p.slice(m.mountPath.length)) };
      }
    }
    return { fs: this.own, path: p };
  }
}
