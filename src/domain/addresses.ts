/**
 * Addresses a webhook must not be sent to unless they are the gateway itself: loopback, private
 * (RFC 1918, unique-local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
 * "this network", multicast and reserved ranges. A payment provider posting a payer's name and
 * address there would be server-side request forgery.
 */
import { BlockList, isIP } from 'node:net';

const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-mapped and NAT64 forms can name any IPv4 address, internal ones included.
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/** The bare address of a URL host: `[::1]` → `::1`; a name stays a name. */
export function hostAddress(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Whether an IP address (v4 or v6 text) is internal; false for anything that is not an IP. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** This machine by name or address: `localhost` (and its subdomains), 127.0.0.0/8, `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostAddress(hostname).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * What is wrong with a URL a provider is to post payment updates to (a payer's name, e-mail and
 * address), if anything: https to a public host; plain http only to this machine while the
 * provider is the embedded simulator (which refuses every local target but the gateway itself).
 * Never an internal address (SSRF), nor credentials.
 */
export function webhookUrlProblem(value: string, sandboxed: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https:// URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = hostAddress(url.hostname);
  if (url.protocol === 'http:') {
    if (sandboxed && isLoopbackHost(host)) return null;
    return sandboxed
      ? 'must use https:// (http:// only to this machine while elopage is sandboxed)'
      : 'must use https://';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (isLoopbackHost(host) || isInternalAddress(host)) {
    return 'must not point at a private, loopback or link-local address';
  }
  return null;
}
