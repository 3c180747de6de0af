import type { HttpResponse } from '../../net/network.js';
import { count, describeCommandLine, quote, sample } from '../evidence.js';
import { describeMetrics, isExposition, metricLabels } from '../metrics.js';

// Readers of what an endpoint answered: each says, in a few words, what the answer disclosed, or
// undefined when it is not the data the endpoint serves (a refusal, a login page, something else).

export type Reader = (res: HttpResponse) => string | undefined;

type Json = Record<string, unknown>;

function jsonObject(res: HttpResponse): Json | undefined {
  if (res.status !== 200) return undefined;
  const j = res.json<unknown>();
  return j && typeof j === 'object' && !Array.isArray(j) ? (j as Json) : undefined;
}

const text = (v: unknown, max = 60) => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, max) : '?');

/** Prometheus metrics of any kind. */
export const metrics: Reader = (res) => (isExposition(res) ? describeMetrics(res) : undefined);

/** Metrics that carry the named build-info metric; its `version` label is quoted. */
export function buildInfoMetrics(metric: string, versionLabel = 'version'): Reader {
  return (res) => {
    if (!isExposition(res)) return undefined;
    const labels = metricLabels(res.text(), metric);
    if (!labels) return undefined;
    const version = labels[versionLabel] ? ` ${text(labels[versionLabel], 40)}` : '';
    return `${describeMetrics(res)} with ${metric}${version}`;
  };
}

/** Settings worth naming when a component's configuration is readable (found at any depth). */
const TELLING_SETTINGS = new Set([
  'mode',
  'clusterCIDR',
  'ClusterCIDR',
  'bindAddress',
  'metricsBindAddress',
  'Address',
  'ClusterSigningKeyFile',
  'ServiceAccountKeyFile',
  'kubeconfig',
  'Kubeconfig',
]);

function telling(value: unknown, out: string[], depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 6 || out.length >= 6) return;
  for (const [k, v] of Object.entries(value as Json)) {
    if (TELLING_SETTINGS.has(k) && (typeof v === 'string' || typeof v === 'number') && out.length < 6) {
      out.push(`${k}=${text(v, 80)}`);
    } else telling(v, out, depth + 1);
  }
}

/** A component's /configz: a JSON object holding its running configuration. */
export const configz: Reader = (res) => {
  const j = jsonObject(res);
  if (!j || Object.keys(j).length === 0) return undefined;
  const settings: string[] = [];
  telling(j, settings);
  return `running configuration (${Object.keys(j).slice(0, 2).join(', ')}${settings.length ? `: ${settings.join(', ')}` : ''})`;
};

/** /debug/pprof/cmdline: the process's arguments, credential values redacted. */
export const cmdline: Reader = (res) => {
  const described = describeCommandLine(res, 500);
  return described && `command line ${described}`;
};

const PROXY_MODES = new Set(['iptables', 'ipvs', 'nftables', 'kernelspace', 'userspace']);

/** kube-proxy's /proxyMode: one word. */
export const proxyMode: Reader = (res) => {
  const mode = res.status === 200 ? res.text().trim() : '';
  return PROXY_MODES.has(mode) ? `proxy mode ${mode}` : undefined;
};

/** A JSON object with `field`, described by `describe`. */
export function jsonWith(field: string, describe: (j: Json) => string): Reader {
  return (res) => {
    const j = jsonObject(res);
    return j && field in j ? describe(j) : undefined;
  };
}

/** The API envelope of Prometheus and Loki: `{"status":"success","data":…}`. */
export function successData(describe: (data: unknown) => string | undefined): Reader {
  return (res) => {
    const j = jsonObject(res);
    return j?.status === 'success' && 'data' in j ? describe(j.data) : undefined;
  };
}

/** A JSON array (Grafana's /api/search). */
export function jsonArray(describe: (items: unknown[]) => string): Reader {
  return (res) => {
    if (res.status !== 200) return undefined;
    const j = res.json<unknown>();
    return Array.isArray(j) ? describe(j) : undefined;
  };
}

/** An HTML page whose title is `title`. */
export function pageTitled(title: string): Reader {
  return (res) => {
    const found = res.status === 200 ? /<title>([^<]{1,200})<\/title>/i.exec(res.text())?.[1].trim() : undefined;
    return found?.startsWith(title) ? `page ${quote(found, 60)}` : undefined;
  };
}

/** `{"items":[…]}` of an Argo CD list: how many `noun`s, and the first names. */
export function namedItems(noun: string): Reader {
  return jsonWith('items', (j) => {
    const items = Array.isArray(j.items) ? (j.items as { metadata?: { name?: unknown } }[]) : [];
    const names = items.map((i) => text(i?.metadata?.name, 60));
    return `${count(items.length, noun)}${names.length ? ` (${sample(names, 4)})` : ''}`;
  });
}
