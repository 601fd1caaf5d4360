import type { HealthcheckSpec } from '../types.js';

/**
 * Healthcheck builders for what each image ships: busybox/alpine images have wget, Debian-based ones curl,
 * UBI and Ubuntu images only bash (so its /dev/tcp is the HTTP client). `$$` escapes `$` for Compose.
 */
export const httpWget = (url: string, extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: ['CMD-SHELL', `wget -q --tries=1 -O /dev/null '${url}' || exit 1`],
  ...extra,
});

export const httpCurl = (url: string, extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: ['CMD-SHELL', `curl -fsS -o /dev/null '${url}' || exit 1`],
  ...extra,
});

/** For images with bash but no HTTP client: a raw HTTP/1.0 request over bash's /dev/tcp. */
export const httpBash = (port: number, path: string, extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: [
    'CMD-SHELL',
    `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" >&3 && head -n 1 <&3 | grep -q " 200"'`,
  ],
  ...extra,
});

export const command = (args: readonly string[], extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: ['CMD', ...args],
  ...extra,
});

export const shell = (line: string, extra: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: ['CMD-SHELL', line],
  ...extra,
});
