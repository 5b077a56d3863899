// The checks every request passes before any route, in one place, so that no route can miss them:
//   1. Host: bound to loopback without a token, only loopback names are served (DNS rebinding:
//      a page on another name that resolves to 127.0.0.1 still sends that name).
//   2. The bearer token, when the server has one, for every route but the static app. Routing
//      decides, not the raw URL: "/%61pi/health" and "GET http://host/api/health" reach the same
//      route as "/api/health", so a check on the URL's spelling can be walked around.
//   3. Origin: browsers may call the API only from the studio's own origin (and configured ones).
//   4. JSON bodies nested deeper than MAX_JSON_DEPTH are a 400 before any code walks them.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonTextDepth, MAX_JSON_DEPTH, tooDeepMessage } from '../src/data/json-depth.ts';

/** A bearer token shorter than this can be guessed; 32 hex characters (`openssl rand -hex 16`) is the suggestion. */
export const MIN_API_TOKEN_LENGTH = 16;

/** Throws when `token` is too weak to protect a server bound beyond loopback. */
export function checkApiToken(token: string): void {
  if (!/^[\x21-\x7e]*$/.test(token) || token.length < MIN_API_TOKEN_LENGTH) {
    throw new Error(
      `LANTERN_API_TOKEN must be at least ${MIN_API_TOKEN_LENGTH} printable characters without spaces (got ${token.trim() === '' ? 'a blank one' : `${token.length} characters`}); generate one with: openssl rand -hex 16`,
    );
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Route config flag for the static app's routes, the only ones served without the token. */
const PUBLIC = 'lanternPublic';

/** Marks every route registered in `scope` (and its children) as part of the public static app. */
export function markRoutesPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object | undefined), [PUBLIC]: true };
  });
}

function isPublic(req: FastifyRequest): boolean {
  // The not-found handler serves only the app shell or a 404: nothing behind the token.
  return req.is404 || (req.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[PUBLIC] === true;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return Boolean(host) && new URL(origin).host === host;
  } catch {
    return false;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export interface GuardOptions {
  apiToken?: string;
  /** Origins besides the server's own that may call the API from a browser. */
  allowedOrigins: readonly string[];
}

export function installGuards(app: FastifyInstance, opts: GuardOptions): void {
  const expected = opts.apiToken ? digest(`Bearer ${opts.apiToken}`) : undefined;

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!opts.apiToken) {
      const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!LOOPBACK_NAMES.has(hostname)) {
        return reply.code(403).send({ error: `This server answers only as localhost (Host was "${hostname}"); to serve other names set LANTERN_HOST and LANTERN_API_TOKEN.` });
      }
    }
    if (isPublic(req)) return;
    // Compared as digests: constant time, whatever the lengths.
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      return reply.code(401).send({ error: 'This server requires "Authorization: Bearer <LANTERN_API_TOKEN>".' });
    }
    const origin = req.headers.origin;
    if (!origin) return;
    if (sameOrigin(origin, req.headers.host) || opts.allowedOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      return;
    }
    return reply.code(403).send({ error: `Requests from the origin ${origin} are not allowed: the API serves only the studio's own origin.` });
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const depth = jsonTextDepth(body as string);
    if (depth > MAX_JSON_DEPTH) {
      return done(Object.assign(new Error(`The request body is refused: ${tooDeepMessage(depth)}.`), { statusCode: 400, code: 'LANTERN_JSON_TOO_DEEP' }), undefined);
    }
    parseJson(req, body as string, done);
  });
}
