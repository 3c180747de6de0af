import type { FieldError } from './status.js';
import type { KubeObject } from './store.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const required = (field: string, detail: string): FieldError => ({
  field,
  reason: 'FieldValueRequired',
  message: `Required value${detail ? `: ${detail}` : ''}`,
});
const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/** Kinds whose names must be RFC 1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
/** RBAC objects may be named like paths (`system:discovery`). */
const PATH_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

function nameErrors(kind: string, name: string | undefined): FieldError[] {
  if (!name) return [required('metadata.name', 'name or generateName is required')];
  if (PATH_NAMED.has(kind)) {
    if (name === '.' || name === '..' || /[/%]/.test(name)) {
      return [invalidValue('metadata.name', name, 'may not contain "/" or "%", or be "." or ".."')];
    }
    return [];
  }
  const [re, msg] = LABEL_NAMED.has(kind) ? [LABEL, LABEL_MSG] : [SUBDOMAIN, SUBDOMAIN_MSG];
  if (name.length > (LABEL_NAMED.has(kind) ? 63 : 253) || !re.test(name))
    return [invalidValue('metadata.name', name, msg)];
  return [];
}

type Rule = {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
};

function ruleErrors(rules: unknown, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  ((rules as Rule[] | undefined) ?? []).forEach((r, i) => {
    const at = `rules[${i}]`;
    if (!r.verbs?.length) errs.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    if (r.nonResourceURLs?.length) {
      if (namespaced)
        errs.push(
          invalidValue(
            `${at}.nonResourceURLs`,
            r.nonResourceURLs,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (r.apiGroups?.length || r.resources?.length || r.resourceNames?.length) {
        errs.push(
          invalidValue(
            `${at}.nonResourceURLs`,
            r.nonResourceURLs,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      }
      return;
    }
    if (!r.apiGroups?.length)
      errs.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (!r.resources?.length)
      errs.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

type Subject = { kind?: string; name?: string; namespace?: string };

function bindingErrors(o: KubeObject, cluster: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = o.roleRef as { kind?: string; name?: string; apiGroup?: string } | undefined;
  const kinds = cluster ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!ref?.kind || !kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref?.kind ?? '', kinds));
  if (!ref?.name) errs.push(required('roleRef.name', ''));
  ((o.subjects as Subject[] | undefined) ?? []).forEach((s, i) => {
    const at = `subjects[${i}]`;
    if (!s.name) errs.push(required(`${at}.name`, ''));
    if (!['User', 'Group', 'ServiceAccount'].includes(s.kind ?? '')) {
      errs.push(notSupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    } else if (s.kind === 'ServiceAccount' && cluster && !s.namespace) {
      errs.push(required(`${at}.namespace`, ''));
    }
  });
  return errs;
}

type Container = { name?: string; image?: string; securityContext?: { privileged?: boolean } };

/** Cluster policy that validation enforces, as kube-apiserver flags set it. */
export interface ValidationPolicy {
  /** `--allow-privileged`: false refuses privileged containers in validation (422, "disallowed by cluster policy"). */
  allowPrivileged: boolean;
}

function privilegeErrors(o: KubeObject): FieldError[] {
  const spec = o.spec as { containers?: Container[]; initContainers?: Container[] } | undefined;
  const errs: FieldError[] = [];
  for (const [list, field] of [
    [spec?.initContainers, 'initContainers'],
    [spec?.containers, 'containers'],
  ] as const) {
    (list ?? []).forEach((c, i) => {
      if (c.securityContext?.privileged === true)
        errs.push({
          field: `spec.${field}[${i}].securityContext.privileged`,
          reason: 'FieldValueForbidden',
          message: 'Forbidden: disallowed by cluster policy',
        });
    });
  }
  return errs;
}

/** A pod spec's own errors, its fields named under `prefix` (`spec`, or a template's `spec.template.spec`). */
function podSpecErrors(spec: { containers?: Container[] } | undefined, prefix: string): FieldError[] {
  if (!spec?.containers?.length) return [required(`${prefix}.containers`, '')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  spec.containers.forEach((c, i) => {
    const at = `${prefix}.containers[${i}]`;
    if (!c.name) errs.push(required(`${at}.name`, ''));
    else if (!LABEL.test(c.name)) errs.push(invalidValue(`${at}.name`, c.name, LABEL_MSG));
    else if (seen.has(c.name))
      errs.push({
        field: `${at}.name`,
        reason: 'FieldValueInvalid',
        message: `Duplicate value: ${JSON.stringify(c.name)}`,
      });
    if (c.name) seen.add(c.name);
    if (!c.image) errs.push(required(`${at}.image`, ''));
  });
  return errs;
}

const podErrors = (o: KubeObject) => podSpecErrors(o.spec as { containers?: Container[] } | undefined, 'spec');

interface JobSpec {
  completionMode?: string;
  completions?: number;
  template?: { spec?: { containers?: Container[]; restartPolicy?: string } };
}

const JOB_RESTART = ['OnFailure', 'Never'];

/** A Job's spec as the API server checks it: a pod template that does not restart, completions when Indexed. */
function jobSpecErrors(spec: JobSpec | undefined, prefix: string): FieldError[] {
  const pod = spec?.template?.spec;
  const errs = podSpecErrors(pod, `${prefix}.template.spec`);
  const restart = pod?.restartPolicy;
  if (!restart) errs.push(required(`${prefix}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (!JOB_RESTART.includes(restart))
    errs.push(notSupported(`${prefix}.template.spec.restartPolicy`, restart, JOB_RESTART));
  const mode = spec?.completionMode ?? 'NonIndexed';
  if (!['NonIndexed', 'Indexed'].includes(mode))
    errs.push(notSupported(`${prefix}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && spec?.completions === undefined)
    errs.push(required(`${prefix}.completions`, 'when completion mode is Indexed'));
  return errs;
}

/** Five fields, or a macro (`@daily`), as robfig/cron's standard parser takes them. */
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;

function cronJobErrors(o: KubeObject): FieldError[] {
  const spec = o.spec as { schedule?: string; concurrencyPolicy?: string; jobTemplate?: { spec?: JobSpec } };
  const errs: FieldError[] = [];
  if (!spec?.schedule) errs.push(required('spec.schedule', ''));
  else if (!CRON.test(spec.schedule.trim()))
    errs.push(invalidValue('spec.schedule', spec.schedule, 'unparseable schedule'));
  const policy = spec?.concurrencyPolicy ?? 'Allow';
  if (!['Allow', 'Forbid', 'Replace'].includes(policy))
    errs.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  errs.push(...jobSpecErrors(spec?.jobTemplate?.spec, 'spec.jobTemplate.spec'));
  return errs;
}

/** The validation errors of a new or changed object (empty when valid). */
export function validate(o: KubeObject, policy: ValidationPolicy = { allowPrivileged: true }): FieldError[] {
  const kind = o.kind ?? '';
  const errs = nameErrors(kind, o.metadata?.name ?? o.metadata?.generateName);
  switch (kind) {
    case 'Pod':
      errs.push(...podErrors(o));
      if (!policy.allowPrivileged) errs.push(...privilegeErrors(o));
      break;
    case 'Job':
      errs.push(...jobSpecErrors(o.spec as JobSpec | undefined, 'spec'));
      break;
    case 'CronJob':
      errs.push(...cronJobErrors(o));
      break;
    case 'Role':
      errs.push(...ruleErrors(o.rules, true));
      break;
    case 'ClusterRole':
      errs.push(...ruleErrors(o.rules, false));
      break;
    case 'RoleBinding':
      errs.push(...bindingErrors(o, false));
      break;
    case 'ClusterRoleBinding':
      errs.push(...bindingErrors(o, true));
      break;
  }
  return errs;
}

const podSpecWithoutImages = (spec: unknown) => {
  const s = structuredClone(spec) as {
    containers?: Container[];
    initContainers?: Container[];
    activeDeadlineSeconds?: number;
  };
  for (const c of [...(s?.containers ?? []), ...(s?.initContainers ?? [])]) delete c.image;
  if (s) delete s.activeDeadlineSeconds;
  return JSON.stringify(s);
};

/** The errors of changing `before` into `after` (immutable fields). */
export function validateUpdate(before: KubeObject, after: KubeObject): FieldError[] {
  const errs = validate(after);
  if (after.kind === 'Pod' && podSpecWithoutImages(before.spec) !== podSpecWithoutImages(after.spec)) {
    errs.push({
      field: 'spec',
      reason: 'FieldValueForbidden',
      message:
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    });
  }
  if (
    (after.kind === 'RoleBinding' || after.kind === 'ClusterRoleBinding') &&
    JSON.stringify(before.roleRef) !== JSON.stringify(after.roleRef)
  ) {
    errs.push(invalidValue('roleRef', after.roleRef, 'cannot change roleRef'));
  }
  return errs;
}
