/**
 * Kubeconfig files for simulated clusters: the server URL, the CA that signed its certificate
 * (so no client needs to skip TLS verification) and a bearer token.
 */
import { stringify } from 'yaml';

export interface KubeconfigEntry {
  name: string;
  server: string;
  caCert: string;
  token: string;
  user?: string;
  namespace?: string;
}

/** One kubeconfig holding every entry as its own context; the first is the current one. */
export function kubeconfigYaml(entries: readonly KubeconfigEntry[]): string {
  const first = entries[0];
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: entries.map((e) => ({ name: e.name, cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caCert).toString('base64') } })),
    users: entries.map((e) => ({ name: e.user ?? `${e.name}-admin`, user: { token: e.token } })),
    contexts: entries.map((e) => ({ name: e.name, context: { cluster: e.name, user: e.user ?? `${e.name}-admin`, namespace: e.namespace ?? 'default' } })),
    'current-context': first?.name ?? '',
  });
}
