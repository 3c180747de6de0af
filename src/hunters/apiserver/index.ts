import type { AnyHunter } from '../../core/hunter.js';
import { apiserverActiveObjects } from './active-objects.js';
import { anonymousAccessHunter } from './anonymous.js';
import { attackPathsHunter, attackPathsLateHunter, attackPathsNetworkHunter } from './attack-paths.js';
import { bindCredentialHunter, bindServerHunter } from './bind-credentials.js';
import { certificateNamespacesHunter } from './cert-namespaces.js';
import { credentialAccessHunter } from './credential-access.js';
import { insecurePortHunter } from './insecure-port.js';
import { insecurePortClosedHunter } from './insecure-port-closed.js';
import { namespaceLateHunter, namespaceSeenLateHunter, namespaceSurveyHunter } from './namespaces.js';
import { nodeAddressesHunter } from './nodes.js';
import { secretsHunter } from './secrets.js';
import { versionDisclosureHunter } from './version.js';
import { workloadsHunter } from './workloads.js';

/** The apiserver hunters, passive and active. Add each new hunter here. */
export const apiserverHunters: readonly AnyHunter[] = [
  versionDisclosureHunter,
  insecurePortHunter,
  insecurePortClosedHunter,
  anonymousAccessHunter,
  bindCredentialHunter,
  bindServerHunter,
  credentialAccessHunter,
  secretsHunter,
  namespaceSurveyHunter,
  namespaceLateHunter,
  namespaceSeenLateHunter,
  certificateNamespacesHunter,
  nodeAddressesHunter,
  workloadsHunter,
  attackPathsHunter,
  attackPathsLateHunter,
  attackPathsNetworkHunter,
  apiserverActiveObjects,
];
