/**
 * Version strings as components disclose them, reduced to what CVE matching needs.
 *
 * `v1.27.3`, `1.27.3`, `3.4.23`: upstream releases. `v1.29.0-rc.1`, `v1.30.0-alpha.2`: upstream
 * pre-releases, which sort before the release they lead to. Anything else after `X.Y.Z` is a vendor
 * build: `-eks-a5565ad`, `-gke.1200`, `+k3s1`, `+rke2r1`, `+f67aeb3` (OpenShift), `-dispatcher`
 * (Google's kubectl), or a development build such as `-alpha.3.12+0123abcd`. Vendors backport security
 * fixes without changing `X.Y.Z`, so a vendor build's base version says what it started from, not what it
 * still contains.
 */
export interface ParsedVersion {
  /** The text as disclosed, trimmed. */
  raw: string;
  /** `X.Y.Z`. */
  base: string;
  /** Base plus an upstream pre-release tag (`1.29.0-rc.1`): what ranges are compared with. */
  comparable: string;
  /** The upstream pre-release tag (`rc.1`), when there is one. */
  prerelease?: string;
  /** Everything that marks a vendor or development build (`eks-a5565ad`, `k3s1`, `gke.1200`). */
  vendor?: string;
}

const VERSION =
  /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:-([0-9A-Za-z][0-9A-Za-z.-]*))?(?:\+([0-9A-Za-z][0-9A-Za-z.-]*))?$/;
const UPSTREAM_PRERELEASE = /^(?:alpha|beta|rc)\.\d{1,6}$/;
/** Longer than any real version string; longer text is not parsed at all. */
const MAX_LENGTH = 128;

/** Parses a disclosed version; undefined when the text is not `[v]X.Y.Z[-tag][+build]`. */
export function parseVersion(text: string): ParsedVersion | undefined {
  const raw = text.trim();
  if (raw.length > MAX_LENGTH) return undefined;
  const m = VERSION.exec(raw);
  if (!m) return undefined;
  const base = [m[1], m[2], m[3]].map(Number).join('.');
  const tag = m[4];
  const build = m[5];
  const upstreamTag = tag !== undefined && UPSTREAM_PRERELEASE.test(tag) ? tag : undefined;
  const vendorParts = [tag !== undefined && !upstreamTag ? tag : undefined, build].filter(Boolean);
  return {
    raw,
    base,
    comparable: upstreamTag ? `${base}-${upstreamTag}` : base,
    prerelease: upstreamTag,
    vendor: vendorParts.length > 0 ? vendorParts.join('+') : undefined,
  };
}
