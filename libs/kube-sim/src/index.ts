/**
 * kube-sim: an in-memory Kubernetes API server that the unmodified client-node and kubectl
 * talk to over HTTPS — for tests, benchmarks and the local demo.
 */
export { startKubeSim, startKubeSims } from './start.js';
export type { KubeSim, KubeSimFleet } from './start.js';
export type { KubeSimOptions } from './options.js';
export { InvalidOptionError, DEFAULT_MAX_BODY_BYTES } from './options.js';
export { SimCluster, Role } from './cluster.js';
export type { FaultSpec, RequestRecord, SimStats, Tokens } from './cluster.js';
export { CONTROLLER_MANAGER } from './controller.js';
export { kubeconfigYaml } from './kubeconfig.js';
export type { KubeconfigEntry } from './kubeconfig.js';
export type { KubeObject, Json, JsonObject } from './core/json.js';
export type { ChangeNotice } from './core/api.js';
export { ApiError } from './core/status.js';
