import type { AnyHunter } from '../../core/hunter.js';
import { tlsCertificateHunter } from './certificate.js';

/** The tls hunters, passive and active. Add each new hunter here. */
export const tlsHunters: readonly AnyHunter[] = [tlsCertificateHunter];
