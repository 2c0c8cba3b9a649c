/**
 * The watcher's configuration, from environment variables, loaded once in main.ts. Repositories
 * are `name=url#branch` items; tokens, SSH keys and webhook secrets are `name=value` maps so
 * the repository list itself never carries a secret.
 */
import { isDnsLabel } from '@driftless/contracts';
import { field, type ConfigOf, type Field } from '@driftless/config';

export interface RepoSpec {
  name: string;
  url: string;
  branch: string;
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (problem: string) => ({ ok: false as const, problem });

/** `name=url#branch,...` (branch defaults to main). */
function reposField(opts: { env: string; doc: string; example: string }): Field<RepoSpec[]> {
  return {
    ...opts,
    parse: (raw) => {
      const repos: RepoSpec[] = [];
      for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = item.indexOf('=');
        if (eq <= 0) return bad(`item "${item}" must look like name=url#branch`);
        const name = item.slice(0, eq);
        const rest = item.slice(eq + 1);
        const hash = rest.lastIndexOf('#');
        const url = hash < 0 ? rest : rest.slice(0, hash);
        const branch = hash < 0 ? 'main' : rest.slice(hash + 1);
        if (!isDnsLabel(name)) return bad(`repository name "${item.slice(0, eq)}" must be a DNS label (lowercase letters, digits, '-')`);
        if (url === '') return bad(`repository "${name}" has no URL`);
        if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url)) return bad(`repository "${name}" has credentials in its URL; put them in the token or SSH key variables`);
        if (!/^[A-Za-z0-9._/-]+$/.test(branch)) return bad(`repository "${name}" has an invalid branch "${branch}"`);
        if (repos.some((r) => r.name === name)) return bad(`repository "${name}" is listed twice`);
        repos.push({ name, url, branch });
      }
      return repos.length > 0 ? ok(repos) : bad('must name at least one repository');
    },
  };
}

/** `name=value,...`; `*` as the name applies to every repository without its own entry. */
function mapField(opts: { env: string; doc: string; example: string; isSecret?: boolean }): Field<Record<string, string>> {
  return {
    ...opts,
    default: {},
    parse: (raw) => {
      const map: Record<string, string> = {};
      for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = item.indexOf('=');
        const name = item.slice(0, eq);
        if (eq <= 0 || (name !== '*' && !isDnsLabel(name))) return bad('items must look like repo-name=value (or *=value)');
        map[name] = item.slice(eq + 1);
      }
      return ok(map);
    },
  };
}

export const configSpec = {
  repos: reposField({ env: 'DRIFTLESS_WATCHER_REPOS', doc: 'Repositories to watch as name=url#branch, comma-separated', example: 'envs=https://github.com/acme/envs.git#main' }),
  repoTokens: mapField({ env: 'DRIFTLESS_WATCHER_REPO_TOKENS', doc: 'HTTPS access tokens per repository', example: 'envs=ghp_xxx', isSecret: true }),
  repoTokenUsers: mapField({ env: 'DRIFTLESS_WATCHER_REPO_TOKEN_USERS', doc: 'User name sent with the token (GitHub x-access-token, GitLab oauth2)', example: 'envs=oauth2' }),
  repoSshKeyFiles: mapField({ env: 'DRIFTLESS_WATCHER_REPO_SSH_KEY_FILES', doc: 'Private SSH key file per repository', example: 'envs=/etc/driftless/ssh/id_ed25519' }),
  webhookSecrets: mapField({ env: 'DRIFTLESS_WATCHER_WEBHOOK_SECRETS', doc: 'Webhook secret (HMAC key or GitLab token) per repository', example: 'envs=s3cret', isSecret: true }),
  mirrorDir: field.string({ env: 'DRIFTLESS_WATCHER_MIRROR_DIR', doc: 'Folder holding the bare mirrors', example: '/var/lib/driftless/mirrors', default: '.data/mirrors' }),
  pollIntervalMs: field.integer({ env: 'DRIFTLESS_WATCHER_POLL_INTERVAL_MS', doc: 'Fetch every this many ms even without webhooks', example: '30000', min: 1000, default: 30_000 }),
  fetchTimeoutMs: field.integer({ env: 'DRIFTLESS_WATCHER_FETCH_TIMEOUT_MS', doc: 'Give up on a fetch after this many ms', example: '60000', min: 1000, default: 60_000 }),
  webhookSettleMs: field.integer({ env: 'DRIFTLESS_WATCHER_WEBHOOK_SETTLE_MS', doc: 'Wait this long after a trigger so a burst becomes one fetch', example: '50', min: 0, max: 60_000, default: 50 }),
  maxBodyBytes: field.integer({ env: 'DRIFTLESS_WATCHER_MAX_BODY_BYTES', doc: 'Largest webhook body accepted (413 above)', example: '1048576', min: 1024, default: 1024 * 1024 }),
  maxInlineManifestBytes: field.integer({ env: 'DRIFTLESS_WATCHER_MAX_INLINE_MANIFEST_BYTES', doc: 'Manifests larger than this go to the object store', example: '262144', min: 0, max: 900 * 1024, default: 256 * 1024 }),
  maxFileBytes: field.integer({ env: 'DRIFTLESS_WATCHER_MAX_FILE_BYTES', doc: 'Largest file read from the repository', example: '1048576', min: 1024, default: 1024 * 1024 }),
  maxCommitsPerSync: field.integer({ env: 'DRIFTLESS_WATCHER_MAX_COMMITS_PER_SYNC', doc: 'New commits processed one by one per sync (older ones are folded)', example: '50', min: 1, default: 50 }),
  publishConcurrency: field.integer({ env: 'DRIFTLESS_WATCHER_PUBLISH_CONCURRENCY', doc: 'Desired-state writes in flight at once', example: '64', min: 1, max: 1024, default: 64 }),
  gitCommitterName: field.string({ env: 'DRIFTLESS_GIT_COMMITTER_NAME', doc: 'Committer name of promotion commits (the author is the person who asked)', example: 'Driftless', default: 'Driftless' }),
  gitCommitterEmail: field.string({ env: 'DRIFTLESS_GIT_COMMITTER_EMAIL', doc: 'Committer email of promotion commits', example: 'driftless@example.com', default: 'driftless@localhost' }),
  gitSigningKeyFile: field.optionalString({ env: 'DRIFTLESS_GIT_SIGNING_KEY_FILE', doc: 'Unencrypted Ed25519 SSH private key that signs promotion commits (unsigned without it)', example: '/etc/driftless/signing/id_ed25519' }),
  natsUrls: field.urls({ env: 'DRIFTLESS_NATS_URL', doc: 'NATS servers', example: 'nats://127.0.0.1:4222', protocols: ['nats:', 'tls:'], default: ['nats://127.0.0.1:4222'] }),
  natsCredsFile: field.optionalString({ env: 'DRIFTLESS_NATS_CREDS_FILE', doc: 'NATS credentials file of the watcher', example: '/etc/driftless/nats/watcher.creds' }),
  httpHost: field.string({ env: 'DRIFTLESS_HTTP_HOST', doc: 'Address to listen on', example: '0.0.0.0', default: '0.0.0.0' }),
  httpPort: field.integer({ env: 'DRIFTLESS_HTTP_PORT', doc: 'HTTP port (webhooks, health, metrics)', example: '8080', min: 0, max: 65535, default: 8080 }),
  instanceId: field.optionalString({ env: 'DRIFTLESS_WATCHER_ID', doc: 'Lease holder id (default: host name and process id)', example: 'repo-watcher-0' }),
  logLevel: field.oneOf(['trace', 'debug', 'info', 'warn', 'error'], { env: 'DRIFTLESS_LOG_LEVEL', doc: 'Log level', example: 'info', default: 'info' }),
};

export type WatcherConfig = ConfigOf<typeof configSpec>;
