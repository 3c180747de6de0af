import type { AnyHunter } from '../../core/hunter.js';
import { awsMetadataHunter } from './aws.js';
import { azureMetadataHunter } from './azure.js';
import { azureSpnHunter } from './azure-spn.js';
import { gcpMetadataHunter } from './gcp.js';

/** The cloud hunters, passive and active. Add each new hunter here. */
export const cloudHunters: readonly AnyHunter[] = [
  awsMetadataHunter,
  gcpMetadataHunter,
  azureMetadataHunter,
  azureSpnHunter,
];
