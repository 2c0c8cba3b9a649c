/**
 * TLS material for simulated clusters: a throwaway CA and a serving certificate it signs for
 * localhost and the loopback addresses (plus any extra host), so clients verify the server
 * with the CA from the kubeconfig exactly as with a real cluster. Generated once per process
 * and host set, since key generation is the expensive part of starting a cluster.
 */
import { generate } from 'selfsigned';

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

const cache = new Map<string, Promise<TlsMaterial>>();

async function create(hosts: readonly string[]): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 10 * 365 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'kube-sim-ca' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7 as const, ip: h } : { type: 2 as const, value: h }));
  const server = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}

/** The CA and serving certificate for `extraHosts` plus localhost, 127.0.0.1 and ::1. */
export function tlsMaterial(extraHosts: readonly string[] = []): Promise<TlsMaterial> {
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', 'kubernetes.default.svc', ...extraHosts])].sort();
  const key = hosts.join(',');
  let material = cache.get(key);
  if (!material) {
    material = create(hosts);
    cache.set(key, material);
    material.catch(() => cache.delete(key));
  }
  return material;
}
