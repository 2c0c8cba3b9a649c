/** Test repositories as `path → content` maps, and a loader for the fixture folder on disk. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Files = Record<string, string>;

export const ENVIRONMENT = `apiVersion: driftless.dev/v1alpha1
kind: Environment
stages: [dev, prod]
clusters:
  dev-1: { stage: dev, labels: { region: eu } }
  prod-eu:
    stage: prod
    labels: { region: eu }
    values: { replicas: 3 }
  prod-us:
    stage: prod
    labels: { region: us }
    values: { replicas: 5 }
components:
  cart:
    path: components/cart
    values: { replicas: 1, greeting: hello, limits: { cpu: 100m } }
  payment:
    path: components/payment
    options: { driftCorrection: false, prune: { maxShare: 0.2, namespaces: true } }
apps:
  shop:
    components: [cart, payment]
    clusters: { stages: [dev, prod] }
  kiosk:
    components: [cart]
    clusters: { labels: { region: eu } }
`;

export const CART_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  replicas: \${values.replicas}
  template:
    spec:
      containers:
        - name: cart
          image: ghcr.io/driftless-demo/cart:\${version}
          resources:
            limits: \${values.limits}
`;

export const CART_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cart-config
  namespace: shop
data:
  greeting: "\${values.greeting} from \${cluster.name} (\${cluster.stage}, \${cluster.labels.region})"
  replicas: "\${values.replicas}"
  component: \${component.name}
  literal: $\${not.a.variable}
`;

export const PAYMENT = `apiVersion: v1
kind: ConfigMap
metadata: { name: payment, namespace: shop }
data: { version: "\${version}" }
---
apiVersion: v1
kind: Service
metadata: { name: payment, namespace: shop }
spec: { ports: [{ port: 80 }] }
`;

/** A small valid repository: stages dev and prod, three clusters, two components, two apps. */
export function baseRepo(): Files {
  return {
    'driftless.yaml': ENVIRONMENT,
    'versions/dev.yaml': 'cart: 1.1.0\npayment: 2.0.0\n',
    'versions/prod.yaml': '# prod\ncart: 1.0.0\npayment: "1.10"\n',
    'components/cart/deployment.yaml': CART_DEPLOYMENT,
    'components/cart/config/configmap.yml': CART_CONFIG,
    'components/cart/README.md': 'not a template',
    'components/payment/all.yaml': PAYMENT,
  };
}

/** The repository with `driftless.yaml` edited by plain text replacement (which must match). */
export function withEnvironment(files: Files, from: string | RegExp, to: string): Files {
  const text = files['driftless.yaml'] ?? '';
  const next = text.replace(from, to);
  if (next === text) throw new Error(`test setup: ${String(from)} not found in driftless.yaml`);
  return { ...files, 'driftless.yaml': next };
}

/** Every file under a folder on disk, by path relative to it. */
export function readTree(dir: string): Files {
  const files: Files = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path).split('\\').join('/')] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** The monorepo folder holding `path`, found from this file's location. */
export function repoPath(path: string): string {
  return fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
}
