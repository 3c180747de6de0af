import { z } from 'zod';
import { SEVERITIES } from '../core/events.js';
import type { CveRecord } from './cve-schema.js';

export const CATEGORIES = [
  'information disclosure',
  'remote code execution',
  'identity theft',
  'access risk',
  'denial of service',
  'privilege escalation',
  'lateral movement',
  /** Not an attacker's way in: configurations that work in a small cluster and fail at scale. */
  'operational risk',
] as const;

export const severitySchema = z.enum(SEVERITIES);

/**
 * What an entry describes: a `weakness` a passive hunter finds, an `info` fact worth knowing but not a
 * flaw by itself (a version, a self-signed certificate), a `proof` an active hunter records after
 * demonstrating the impact of the weaknesses it `follows`, or a `defence` seen to hold (anonymous callers
 * refused, privileged pods refused by admission): what a defender wants to read next to what failed.
 */
export const ENTRY_KINDS = ['weakness', 'info', 'proof', 'defence'] as const;

const KF_ID = /^KF-[A-Z0-9]+-\d{3}$/;
const KHV_ID = /^KHV\d{3}$/;
/** ATT&CK technique or sub-technique, e.g. T1613 or T1552.007. */
const MITRE_ID = /^T\d{4}(\.\d{3})?$/;

export const aliasesSchema = z
  .object({
    khv: z.array(z.string().regex(KHV_ID, 'kube-hunter ids look like KHV036')).default([]),
    mitre: z.array(z.string().regex(MITRE_ID, 'ATT&CK ids look like T1613 or T1552.007')).default([]),
  })
  .strict()
  .default({ khv: [], mitre: [] });

/** One weakness the tool can report. Titles, descriptions and remediation live here, not in hunters. */
export const kbEntrySchema = z
  .object({
    id: z.string().regex(KF_ID, 'ids look like KF-COMPONENT-NNN'),
    title: z.string().min(1),
    component: z.string().min(1),
    kind: z.enum(ENTRY_KINDS).default('weakness'),
    category: z.enum(CATEGORIES),
    severity: severitySchema,
    /** Why this severity, in one line. */
    severityRationale: z.string().min(1),
    description: z.string().min(1),
    remediation: z.string().min(1),
    references: z.array(z.url()).default([]),
    aliases: aliasesSchema,
    /** For a proof: the entries whose impact it demonstrates. */
    follows: z.array(z.string().regex(KF_ID)).default([]),
  })
  .strict()
  .refine((e) => (e.kind === 'proof') === e.follows.length > 0, {
    message: 'a proof names the entries it follows, and only a proof does',
    path: ['follows'],
  });

export const kbFileSchema = z.array(kbEntrySchema);

export type KbFileEntry = z.infer<typeof kbEntrySchema>;
export type EntryKind = KbFileEntry['kind'] | 'cve';

/**
 * An entry as lookups return it: a knowledge-base entry from the YAML files, or a CVE from the CVE data
 * seen through the same shape (kind `cve`, with the record attached), so reports need no special case.
 */
export interface KbEntry extends Omit<KbFileEntry, 'kind'> {
  kind: EntryKind;
  cve?: CveRecord;
}
