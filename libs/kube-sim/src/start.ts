/**
 * Starting simulated clusters: `startKubeSim` runs one on its own HTTPS port and returns its
 * URL, kubeconfig, tokens and programmatic handle; `startKubeSims` runs many independent ones
 * in this process, sharing one certificate so each costs little more than its objects.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { SimCluster } from './cluster.js';
import type { Tokens } from './cluster.js';
import { ApiHandler } from './http/handler.js';
import { listenHttps } from './adapters/https-server.js';
import { tlsMaterial } from './adapters/tls.js';
import { kubeconfigYaml } from './kubeconfig.js';
import type { KubeSimOptions } from './options.js';
import { InvalidOptionError, resolveOptions } from './options.js';

export interface KubeSim {
  name: string;
  /** https://host:port */
  url: string;
  /** A kubeconfig (YAML) with the admin token. */
  kubeconfig: string;
  /** The same kubeconfig with the read-only token: every write answers 403. */
  readOnlyKubeconfig: string;
  /** Where the admin kubeconfig was written, when `kubeconfigPath` was given. */
  kubeconfigPath: string | undefined;
  /** PEM of the CA that signed the server certificate. */
  caCert: string;
  tokens: Tokens;
  /** Programmatic access: objects, faults, statistics, controllers. */
  cluster: SimCluster;
  stop(): Promise<void>;
}

export interface KubeSimFleet {
  clusters: KubeSim[];
  /** One kubeconfig with a context per cluster (admin tokens). */
  kubeconfig: string;
  stop(): Promise<void>;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const resolved = resolveOptions(opts);
  const tokens: Tokens = { admin: opts.tokens?.admin ?? token(), readOnly: opts.tokens?.readOnly ?? token() };
  if (tokens.admin === tokens.readOnly) throw new InvalidOptionError('kube-sim tokens.admin and tokens.readOnly must differ');
  const tls = await tlsMaterial([...(resolved.host === '0.0.0.0' || resolved.host === '::' ? [] : [resolved.host]), ...(opts.certHosts ?? [])]);
  const cluster = new SimCluster(resolved, tokens);
  let port = resolved.port;
  const handler = new ApiHandler(cluster, () => `${resolved.host}:${port}`);
  let server;
  try {
    server = await listenHttps(handler, tls, resolved.host, resolved.port);
  } catch (err) {
    cluster.stop();
    throw err;
  }
  port = server.port;
  const url = `https://${formatHost(resolved.host === '0.0.0.0' ? '127.0.0.1' : resolved.host)}:${port}`;
  const entry = { name: resolved.name, server: url, caCert: tls.caCert };
  const kubeconfig = kubeconfigYaml([{ ...entry, token: tokens.admin }]);
  const readOnlyKubeconfig = kubeconfigYaml([{ ...entry, token: tokens.readOnly, user: `${resolved.name}-read-only` }]);
  if (opts.kubeconfigPath) await writeFile(opts.kubeconfigPath, kubeconfig, { mode: 0o600 });
  let isStopped = false;
  return {
    name: resolved.name,
    url,
    kubeconfig,
    readOnlyKubeconfig,
    kubeconfigPath: opts.kubeconfigPath,
    caCert: tls.caCert,
    tokens,
    cluster,
    stop: async () => {
      if (isStopped) return;
      isStopped = true;
      cluster.stop();
      await server.close();
    },
  };
}

/**
 * Starts `count` independent clusters named `<namePrefix>-<i>` (from 1). Options apply to
 * each; `kubeconfigPath` receives the fleet's combined kubeconfig. Ports are always picked freely.
 */
export async function startKubeSims(count: number, opts: KubeSimOptions & { namePrefix?: string } = {}): Promise<KubeSimFleet> {
  if (!Number.isInteger(count) || count < 1) throw new InvalidOptionError(`startKubeSims needs a cluster count >= 1, got ${String(count)}`);
  const { namePrefix = 'cluster', kubeconfigPath, ...rest } = opts;
  const clusters: KubeSim[] = [];
  try {
    for (let i = 1; i <= count; i++) clusters.push(await startKubeSim({ ...rest, port: 0, name: `${namePrefix}-${i}` }));
  } catch (err) {
    await Promise.all(clusters.map((c) => c.stop()));
    throw err;
  }
  const kubeconfig = kubeconfigYaml(clusters.map((c) => ({ name: c.name, server: c.url, caCert: c.caCert, token: c.tokens.admin })));
  if (kubeconfigPath) await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
  return { clusters, kubeconfig, stop: async () => void (await Promise.all(clusters.map((c) => c.stop()))) };
}
