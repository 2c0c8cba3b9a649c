/** Pushing an updated account JWT (e.g. with new revocations) to the NATS servers' full resolver. */
import { UnavailableError } from '@driftless/contracts';

/** The slice of a NATS connection this needs, so callers can pass any nats.js v3 connection. */
export interface Requester {
  request(subject: string, payload: string, opts: { timeout: number }): Promise<{ string(): string }>;
}

export class ClaimsUpdateError extends Error {
  override readonly name: string = 'ClaimsUpdateError';
}

/** Sends the account JWT on `$SYS.REQ.CLAIMS.UPDATE` as a system-account user and checks the server accepted it. */
export async function pushAccountJwt(systemConnection: Requester, accountJwt: string, timeoutMs = 5000): Promise<void> {
  let text: string;
  try {
    text = (await systemConnection.request('$SYS.REQ.CLAIMS.UPDATE', accountJwt, { timeout: timeoutMs })).string();
  } catch (err) {
    throw new UnavailableError(`could not push the account JWT to NATS: ${(err as Error).message}`, { cause: err });
  }
  let reply: { error?: { description?: string; code?: number }; data?: { code?: number; message?: string } };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new ClaimsUpdateError(`NATS answered the claims update with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (reply.error) {
    throw new ClaimsUpdateError(`NATS refused the account update: ${reply.error.description ?? JSON.stringify(reply.error)}`);
  }
}
