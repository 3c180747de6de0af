import type { KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { type ServiceAddress, serviceOf } from '../probe.js';

/**
 * The kubelet port a kubelet finding is about: its scheme from discovery, else the kubelet's usual one
 * (HTTPS on the authenticated port, plain HTTP on the read-only port).
 */
export function kubeletOf(ctx: HuntContext, finding: KfEvent<'Finding'>): ServiceAddress | undefined {
  const { host, port } = finding;
  if (!host || !port) return undefined;
  return serviceOf(ctx, host, port) ?? { host, port, scheme: finding.kb === 'KF-KUBELET-015' ? 'http' : 'https' };
}
