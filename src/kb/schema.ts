import { z } from 'zod';

export const CATEGORIES = [
  'information disclosure',
  'remote code execution',
  'identity theft',
  'access risk',
  'denial of service',
  'privilege escalation',
  'lateral movement',
] as const;

export const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

/** One weakness the tool can report. Titles, descriptions and remediation live here, not in hunters. */
export const kbEntrySchema = z
  .object({
    id: z.string().regex(/^KF-[A-Z0-9]+-\d{3}$/, 'ids look like KF-COMPONENT-NNN'),
    title: z.string().min(1),
    component: z.string().min(1),
    category: z.enum(CATEGORIES),
    severity: severitySchema,
    /** Why this severity, in one line. */
    severityRationale: z.string().min(1),
    description: z.string().min(1),
    remediation: z.string().min(1),
    references: z.array(z.string().url()).default([]),
    aliases: z
      .object({
        khv: z.array(z.string().regex(/^KHV\d{3}$/)).default([]),
        mitre: z.array(z.string()).default([]),
      })
      .default({ khv: [], mitre: [] }),
  })
  .strict();

export type KbEntry = z.infer<typeof kbEntrySchema>;
export const kbFileSchema = z.array(kbEntrySchema);
