import type { AnyHunter } from '../../core/hunter.js';
import { localKubectlHunter } from './local-kubectl.js';
import { versionCvesHunter } from './version-cves.js';

/** The cve hunters, passive and active. Add each new hunter here. */
export const cveHunters: readonly AnyHunter[] = [localKubectlHunter, versionCvesHunter];
