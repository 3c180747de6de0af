import type { AnyHunter } from '../../core/hunter.js';
import { apiserverActiveObjects } from './active-objects.js';

/** The apiserver hunters, passive and active. Add each new hunter here. */
export const apiserverHunters: readonly AnyHunter[] = [apiserverActiveObjects];
