// Loopback OpenID Provider for yauth's Rust integration tests.
//
// A real, certified OP (oidc-provider 9) with static clients, in-memory
// accounts, an interaction handler that logs in / consents without any HTML,
// and a few /__test/* control endpoints that let a test choose the next user
// and corrupt the next id_token in precise ways. See README.md.

// oidc-provider prints its NOTICEs with console.info, i.e. to stdout. stdout is
// reserved for the single start-up JSON line the Rust side parses, so every
// console channel is sent to stderr.
console.log = console.info = console.debug = (...args) => console.error(...args);

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';

const env = process.env;
const PORT = Number.parseInt(env.OIDC_PORT ?? '0', 10) || 0;
const REDIRECT_URIS = (env.OIDC_REDIRECT_URIS ?? 'http://localhost:3000/api/auth/oauth/oidc/callback')
  .split(',').map((s) => s.trim()).filter(Boolean);
const CONFORM = (env.OIDC_CONFORM_ID_TOKEN_CLAIMS ?? 'false').toLowerCase() === 'true';

// ---- life cycle -----------------------------------------------------------
// The Rust test holds our stdin pipe; when it exits (even by panic) the pipe
// closes and we go with it, so no OP outlives its test.
if (env.OIDC_IGNORE_STDIN !== '1') {
  const bye = () => process.exit(0);
  process.stdin.on('end', bye);
  process.stdin.on('close', bye);
  process.stdin.on('error', bye);
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

// ---- keys -----------------------------------------------------------------
// The OP's signing key is generated here (not by oidc-provider) so that the
// tamper middleware can re-sign with exactly the key the OP publishes.
const OP_KID = 'op-key-1';
const opKeys = await generateKeyPair('RS256', { extractable: true });
const opPrivateJwk = { ...(await exportJWK(opKeys.privateKey)), kid: OP_KID, alg: 'RS256', use: 'sig' };
// Never published: signatures made with it must be rejected by the client.
const foreignKeys = await generateKeyPair('RS256', { extractable: true });

// ---- test state -------------------------------------------------------------
const accounts = new Map();
const defaultAccount = { sub: 'user-1', email: 'user-1@example.com', email_verified: true, name: 'User One' };
accounts.set(defaultAccount.sub, defaultAccount);
let nextLogin = defaultAccount; // an account, or { error }
let tamperMode = 'none';
const TAMPER_MODES = new Set(['none', 'foreign-key', 'foreign-key-same-kid', 'wrong-audience',
  'wrong-nonce', 'wrong-issuer', 'expired']);
const stats = { jwks_requests: 0, token_requests: 0, userinfo_requests: 0 };

// ---- provider -------------------------------------------------------------
// The issuer must carry the real port, so listen first, then build the OP.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(PORT, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`; // no trailing slash: `iss` must match it exactly

const client = (id, secret, method) => ({
  client_id: id,
  client_secret: secret,
  token_endpoint_auth_method: method,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: REDIRECT_URIS,
});

const provider = new Provider(issuer, {
  clients: [
    client(env.OIDC_CLIENT_ID ?? 'yauth-test', env.OIDC_CLIENT_SECRET ?? 'yauth-test-secret', 'client_secret_basic'),
    client(env.OIDC_POST_CLIENT_ID ?? 'yauth-post', env.OIDC_POST_CLIENT_SECRET ?? 'yauth-post-secret', 'client_secret_post'),
  ],
  jwks: { keys: [opPrivateJwk] },
  // oidc-provider 9 only implements S256; this makes PKCE mandatory for
  // confidential clients too (the default only forces it for public ones).
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // false: scope-derived claims also go into the id_token, not only userinfo.
  conformIdTokenClaims: CONFORM,
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...account, sub }) };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false }, // we finish interactions ourselves
    userinfo: { enabled: true },
  },
  // Random per run: cookies are signed (each has a companion `.sig` cookie).
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // Explicit TTLs, mostly to silence "you SHOULD change" notices.
  ttl: {
    AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600,
    Grant: 3600, Session: 3600, RefreshToken: 86400,
  },
  // Errors that cannot be redirected to the client become plain JSON.
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

// Surface provider-side failures on stderr; they explain most test failures.
for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (_ctx, err) => console.error(`[oidc] ${event}: ${err.name} ${err.message}`
    + (err.error_description ? ` (${err.error_description})` : '')));
}

const paths = {
  jwks: provider.pathFor('jwks'),
  token: provider.pathFor('token'),
  userinfo: provider.pathFor('userinfo'),
};

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? JSON.parse(text) : {};
}

// ---- middleware 1: stats + control endpoints ------------------------------
// provider.use() inserts middleware before the OP's own router, in order.
provider.use(async (ctx, next) => {
  if (ctx.path === paths.jwks) stats.jwks_requests += 1;
  if (ctx.path === paths.token) stats.token_requests += 1;
  if (ctx.path === paths.userinfo) stats.userinfo_requests += 1;

  if (!ctx.path.startsWith('/__test/')) return next();
  ctx.type = 'json';
  try {
    const route = `${ctx.method} ${ctx.path}`;
    if (route === 'GET /__test/stats') {
      ctx.body = stats;
    } else if (route === 'POST /__test/reset-stats') {
      for (const key of Object.keys(stats)) stats[key] = 0;
      ctx.body = { ok: true };
    } else if (route === 'POST /__test/next-login') {
      const body = await readJson(ctx.req);
      if (body.error) {
        nextLogin = { error: String(body.error) };
      } else {
        if (!body.sub) throw new Error('sub is required');
        accounts.set(body.sub, body); // upsert: findAccount serves it from now on
        nextLogin = body;
      }
      ctx.body = { ok: true };
    } else if (route === 'POST /__test/tamper') {
      const { mode } = await readJson(ctx.req);
      if (!TAMPER_MODES.has(mode)) throw new Error(`unknown tamper mode ${mode}`);
      tamperMode = mode;
      ctx.body = { ok: true };
    } else {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
    }
  } catch (err) {
    ctx.status = 400;
    ctx.body = { error: 'bad_request', error_description: err.message };
  }
});

// ---- middleware 2: automatic interactions ---------------------------------
// Plays the user: logs in as `nextLogin` and consents to whatever was asked.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  let result;
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params, session } = details;
    if (nextLogin.error) {
      result = { error: nextLogin.error, error_description: 'refused by test' };
    } else {
      // A "consent" prompt has a session already: keep its account.
      const accountId = prompt.name === 'login' ? nextLogin.sub : session.accountId;
      let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      if (!grant || grant.accountId !== accountId) {
        grant = new provider.Grant({ accountId, clientId: params.client_id });
      }
      // On a login prompt the consent details are not computed yet, so grant
      // everything requested up front; the consent prompt then has nothing to
      // ask and the flow goes straight back to the client.
      if (params.scope) grant.addOIDCScope(params.scope);
      if (params.claims) {
        const claims = JSON.parse(params.claims);
        grant.addOIDCClaims([...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})]);
      }
      const missing = prompt.details ?? {};
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      const grantId = await grant.save();
      result = prompt.name === 'login'
        ? { login: { accountId }, consent: { grantId } }
        : { consent: { grantId } };
    }
  } catch (err) {
    const description = err.error_description ?? err.message;
    console.error(`[oidc] interaction failed: ${err.name} ${description}`);
    ctx.status = 400;
    ctx.type = 'json';
    ctx.body = { error: 'interaction_failed', error_description: description };
    return;
  }
  ctx.respond = false; // interactionFinished writes the 303 to the raw response itself
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

// ---- middleware 3: id_token tampering -------------------------------------
// Rewrites the id_token of the next successful token response, then disarms.
provider.use(async (ctx, next) => {
  await next();
  if (tamperMode === 'none' || ctx.path !== paths.token || ctx.status !== 200) return;
  let body = ctx.body;
  const wasString = typeof body === 'string' || Buffer.isBuffer(body);
  if (wasString) body = JSON.parse(body.toString());
  if (!body || typeof body.id_token !== 'string') return;

  const mode = tamperMode;
  tamperMode = 'none';
  const original = decodeProtectedHeader(body.id_token);
  const payload = decodeJwt(body.id_token); // at_hash / c_hash are carried over untouched
  const header = { alg: 'RS256', kid: OP_KID, ...(original.typ ? { typ: original.typ } : {}) };
  let key = opKeys.privateKey;
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'foreign-key': key = foreignKeys.privateKey; header.kid = 'foreign-key'; break;
    case 'foreign-key-same-kid': key = foreignKeys.privateKey; break;
    case 'wrong-audience': payload.aud = 'another-client'; delete payload.azp; break;
    case 'wrong-nonce': payload.nonce = 'not-the-nonce'; break;
    case 'wrong-issuer': payload.iss = 'http://127.0.0.1:1'; break;
    case 'expired': payload.iat = now - 7200; payload.exp = now - 3600; break;
    default: break;
  }
  body.id_token = await new SignJWT(payload).setProtectedHeader(header).sign(key);
  console.error(`[oidc] tampered id_token: ${mode}`);
  ctx.body = wasString ? JSON.stringify(body) : body;
});

// ---- middleware 4: strict token endpoint auth method ----------------------
// oidc-provider treats client_secret_basic and client_secret_post as
// interchangeable (either is accepted for a client registered with one). The
// tests want to prove the client uses the registered one, so a mismatch turns
// the response into 401 invalid_client (the tokens minted are never delivered).
// Registered after the tamper middleware so that it runs first on the way out
// and a refused request does not use up the armed tamper mode.
provider.use(async (ctx, next) => {
  await next();
  const registered = ctx.path === paths.token && ctx.oidc?.client?.tokenEndpointAuthMethod;
  if (!registered || ctx.status !== 200) return;
  const used = /^basic /i.test(ctx.get('authorization')) ? 'client_secret_basic' : 'client_secret_post';
  if (used === registered || !registered.startsWith('client_secret_')) return;
  console.error(`[oidc] ${ctx.oidc.client.clientId} used ${used}, registered ${registered}`);
  ctx.status = 401;
  ctx.set('www-authenticate', `Basic realm="${issuer}"`);
  ctx.body = { error: 'invalid_client', error_description: `client must use ${registered}` };
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
