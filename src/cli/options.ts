import { UsageError } from '../core/errors.js';
import { SEVERITIES, type Severity } from '../core/events.js';
import { readUserFile } from '../core/user-file.js';

/** Parsers for option values: each throws UsageError with one line that names the option. */

export function integer(option: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`${option} takes a whole number from ${min} to ${max}, not "${text}"`);
    }
    return Number(text);
  };
}

/** Seconds as a decimal, returned in milliseconds. */
export function seconds(option: string, max = 3600) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new UsageError(`${option} takes seconds, more than 0 and at most ${max}, not "${text}"`);
    }
    return Math.round(n * 1000);
  };
}

/** `80,443,8000-8100` → the ports, sorted, without duplicates. */
export function portList(text: string): number[] {
  const ports = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const a = m ? Number(m[1]) : Number.NaN;
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!m || a < 1 || b > 65535 || b < a) {
      throw new UsageError(`--ports: "${part}" is not a port or port range (1-65535, e.g. 6443 or 10250-10259)`);
    }
    for (let p = a; p <= b; p++) ports.add(p);
  }
  return [...ports].sort((x, y) => x - y);
}

export function severityOrNone(option: string) {
  return (text: string): Severity | 'none' => {
    const v = text.trim().toLowerCase();
    if (v === 'none' || (SEVERITIES as readonly string[]).includes(v)) return v as Severity | 'none';
    throw new UsageError(`${option} takes one of ${[...SEVERITIES, 'none'].join(', ')}, not "${text}"`);
  };
}

/** `1.19`, `v1.28`, `1.28.3`: a Kubernetes version, as its minor number (what version-aware checks compare). */
export function kubernetesMinor(option: string) {
  return (text: string): number => {
    const m = /^v?1\.(\d{1,3})(?:\.\d+)?$/.exec(text.trim());
    if (!m) throw new UsageError(`${option} takes a Kubernetes version as X.Y (1.19, v1.28.3), not "${text}"`);
    return Number(m[1]);
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Lines of a targets file: blank lines and `#` comments skipped, several targets per line allowed. */
export function targetsFromFile(path: string): string[] {
  return readUserFile(path, 'targets file')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/[\s,]+/));
}
