/**
 * Push webhooks from GitHub, Gitea and GitLab: the signature (HMAC-SHA256 of the raw body) or
 * token is checked in constant time before the body is parsed, and the payload only tells which
 * branch moved; it is never trusted for content (the watcher fetches and reads Git itself).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WebhookProvider = { github: 'github', gitea: 'gitea', gitlab: 'gitlab' } as const;
export type WebhookProvider = (typeof WebhookProvider)[keyof typeof WebhookProvider];

export function isWebhookProvider(value: string): value is WebhookProvider {
  return Object.hasOwn(WebhookProvider, value);
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time constant anyway.
  return left.length === right.length ? timingSafeEqual(left, right) : (timingSafeEqual(left, left), false);
}

function hmacHex(secret: string, body: Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Whether the request proves knowledge of `secret` the way `provider` signs its webhooks. */
export function verifyWebhook(provider: WebhookProvider, headers: Headers, rawBody: Uint8Array, secret: string): boolean {
  if (secret === '') return false;
  switch (provider) {
    case WebhookProvider.github: {
      const signature = header(headers, 'x-hub-signature-256');
      return signature !== undefined && safeEqual(signature.toLowerCase(), `sha256=${hmacHex(secret, rawBody)}`);
    }
    case WebhookProvider.gitea: {
      const signature = header(headers, 'x-gitea-signature');
      return signature !== undefined && safeEqual(signature.toLowerCase(), hmacHex(secret, rawBody));
    }
    case WebhookProvider.gitlab: {
      const token = header(headers, 'x-gitlab-token');
      return token !== undefined && safeEqual(token, secret);
    }
  }
}

export type PushNotice =
  | { kind: 'push'; branch: string }
  /** Not a branch push (a ping, a tag, another event): accepted and ignored. */
  | { kind: 'ignored'; reason: string };

/** Reads which branch a verified push webhook is about. Throws a plain Error when the body is not JSON. */
export function parsePushNotice(provider: WebhookProvider, headers: Headers, rawBody: Uint8Array): PushNotice {
  const event = header(headers, provider === 'gitlab' ? 'x-gitlab-event' : provider === 'gitea' ? 'x-gitea-event' : 'x-github-event');
  if (event !== undefined && !/^(push|push hook)$/i.test(event)) return { kind: 'ignored', reason: `event "${event}" is not a push` };
  const payload = parseBody(headers, rawBody);
  const ref = typeof payload === 'object' && payload !== null ? (payload as { ref?: unknown }).ref : undefined;
  if (typeof ref !== 'string') return { kind: 'ignored', reason: 'the payload names no ref' };
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `ref ${ref} is not a branch` };
  return { kind: 'push', branch: ref.slice('refs/heads/'.length) };
}

function parseBody(headers: Headers, rawBody: Uint8Array): unknown {
  const text = Buffer.from(rawBody).toString('utf8');
  const contentType = header(headers, 'content-type') ?? '';
  // GitHub can be set to send `application/x-www-form-urlencoded` with the JSON in `payload`.
  const json = contentType.startsWith('application/x-www-form-urlencoded') ? (new URLSearchParams(text).get('payload') ?? '') : text;
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    throw new Error(`the webhook body is not JSON (${(err as Error).message})`, { cause: err });
  }
}
