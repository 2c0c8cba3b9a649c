/** `GET /v1/whoami`: the caller's token name and role, so a client (the web UI) knows which actions to offer. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { UnauthenticatedError } from '../errors.js';
import { WhoAmISchema, responses } from '../schemas.js';

export function whoamiRoutes(): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/whoami',
      {
        schema: {
          summary: "The caller's token name and role",
          description: 'Never returns the token itself or its hash. The web UI uses it after sign-in to decide which actions to show.',
          tags: ['tokens'],
          response: responses({ 200: WhoAmISchema }),
        },
      },
      (request) => {
        // The auth hook sets the principal on every non-public route; its absence would be a wiring bug.
        if (!request.principal) throw new UnauthenticatedError('this route needs a bearer token');
        return { name: request.principal.name, role: request.principal.role };
      },
    );
    done();
  };
}
