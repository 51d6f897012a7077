// Self-test of server.mjs: spawns it, drives real browser-like flows with
// global fetch and a hand-rolled cookie jar, and checks every control
// endpoint. `node smoke.mjs` exits non-zero on the first failure.
// Set SMOKE_VERBOSE=1 to print the redirect chains.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const REDIRECT = 'http://localhost:3000/api/auth/oauth/oidc/callback';
const CLIENTS = {
  basic: { id: 'yauth-test', secret: 'yauth-test-secret' },
  post: { id: 'yauth-post', secret: 'yauth-post-secret' },
};
const verbose = process.env.SMOKE_VERBOSE === '1';
let passed = 0;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  passed += 1;
}

// ---- child process ----------------------------------------------------------
async function startOp(extraEnv = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...extraEnv },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let stdout = '';
  const line = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
  });
  const info = JSON.parse(line);
  check(/^\{"issuer":"http:\/\/127\.0\.0\.1:\d+","port":\d+\}$/.test(line), 'start-up line format');
  check(info.issuer === `http://127.0.0.1:${info.port}`, 'issuer carries the port');
  return { child, ...info, stdoutRest: () => stdout.slice(line.length + 1), stderr: () => stderr };
}

// ---- cookie jar (name+path keyed, path-prefix matching, host ignored) -------
class Jar {
  cookies = new Map();

  store(res) {
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let dead = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) dead = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) dead = true;
      }
      const key = `${name};${path}`;
      if (dead) this.cookies.delete(key); else this.cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

// ---- helpers ------------------------------------------------------------------
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (s) => createHash('sha256').update(s).digest();

async function postJson(op, path, body) {
  const res = await fetch(op.issuer + path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
  });
  const json = await res.json();
  check(res.status === 200 && json.ok === true, `${path} answers ok`);
  return json;
}

const getStats = async (op) => (await fetch(`${op.issuer}/__test/stats`)).json();

function decodeEntities(s) {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// Runs GET /auth and follows redirects by hand until the OP hands control
// back to the client: a redirect to the redirect_uri, or the form_post page.
async function authorize(op, { client = 'basic', params = {}, pkce = true, jar = new Jar() } = {}) {
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const verifier = b64url(randomBytes(32));
  const url = new URL(`${op.discovery.authorization_endpoint}`);
  const q = {
    client_id: CLIENTS[client].id, response_type: 'code', redirect_uri: REDIRECT,
    scope: 'openid email profile', state, nonce,
    ...(pkce ? { code_challenge: b64url(sha256(verifier)), code_challenge_method: 'S256' } : {}),
    ...params,
  };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);

  const chain = [];
  let next = url.href;
  for (let hop = 0; hop < 10; hop += 1) {
    const cookie = jar.header(next);
    const res = await fetch(next, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    jar.store(res);
    const set = res.headers.getSetCookie().map((c) => c.split(';').filter((a) => /^\s*(path|max-age|expires)=|^[^=]+=/i.test(a)).map((a) => a.trim()).join('; '));
    const location = res.headers.get('location');
    chain.push({ status: res.status, url: next, location, cookiesSent: cookie.split('; ').filter(Boolean).map((c) => c.split('=')[0]), set });
    if (location && location.startsWith(REDIRECT)) {
      const cb = new URL(location);
      return { chain, state, nonce, verifier, client, result: Object.fromEntries(cb.searchParams) };
    }
    if (location) { next = new URL(location, next).href; continue; }
    const html = await res.text();
    if (res.headers.get('content-type')?.includes('text/html') && html.includes('<form')) {
      const action = decodeEntities(/<form method="post" action="([^"]*)">/.exec(html)[1]);
      const result = {};
      for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/>/g)) {
        result[m[1]] = decodeEntities(m[2]);
      }
      return { chain, state, nonce, verifier, client, result, formPost: { status: res.status, action, html } };
    }
    throw new Error(`unexpected response ${res.status} at ${next}: ${html}`);
  }
  throw new Error('too many redirects');
}

async function exchange(op, flow, extra = {}) {
  const { id, secret } = CLIENTS[flow.client];
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code: flow.result.code, redirect_uri: REDIRECT,
    code_verifier: flow.verifier, ...extra,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (flow.client === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else {
    form.set('client_id', id);
    form.set('client_secret', secret);
  }
  const res = await fetch(op.discovery.token_endpoint, { method: 'POST', headers, body: form });
  return { status: res.status, body: await res.json() };
}

function logChain(title, flow) {
  if (!verbose) return;
  console.log(`--- ${title}`);
  for (const hop of flow.chain) {
    console.log(`${hop.status} ${hop.url.replace(/\?.*/, '?...')} -> ${hop.location ?? '(body)'}  [sent: ${hop.cookiesSent.join(', ')}]`);
    for (const c of hop.set) console.log(`      set-cookie: ${c.replace(/=[^;]*;/, '=…;')}`);
  }
}

// A full code flow plus token exchange, with the standard assertions.
async function codeFlow(op, opts = {}) {
  const flow = await authorize(op, opts);
  const r = flow.result;
  check(r.code && r.state === flow.state && r.iss === op.issuer, 'callback has code, state and iss');
  const token = await exchange(op, flow);
  check(token.status === 200 && typeof token.body.id_token === 'string', 'token response has id_token');
  return { flow, token: token.body };
}

// ---- the checks --------------------------------------------------------------
async function main() {
  const op = await startOp();
  op.discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  const d = op.discovery;
  check(d.issuer === op.issuer, 'discovery issuer');
  check(d.authorization_endpoint === `${op.issuer}/auth`, 'authorization endpoint /auth');
  check(d.token_endpoint === `${op.issuer}/token`, 'token endpoint /token');
  check(d.userinfo_endpoint === `${op.issuer}/me`, 'userinfo endpoint /me');
  check(d.jwks_uri === `${op.issuer}/jwks`, 'jwks uri /jwks');
  check(JSON.stringify(d.code_challenge_methods_supported) === '["S256"]', 'only S256');

  const jwks = await (await fetch(d.jwks_uri)).json();
  check(jwks.keys.length === 1 && jwks.keys[0].kid === 'op-key-1' && !jwks.keys[0].d, 'public op-key-1 only');
  const keySet = createLocalJWKSet(jwks);
  const verify = (jwt, client) => jwtVerify(jwt, keySet, { issuer: op.issuer, audience: CLIENTS[client].id });

  // 2. basic and post clients, query response mode
  let baselineKeys;
  for (const client of ['basic', 'post']) {
    const { flow, token } = await codeFlow(op, { client });
    logChain(`code flow (${client})`, flow);
    const { payload, protectedHeader } = await verify(token.id_token, client);
    check(protectedHeader.alg === 'RS256' && protectedHeader.kid === 'op-key-1', 'RS256 / op-key-1');
    check(payload.nonce === flow.nonce, 'nonce matches');
    check(payload.sub === 'user-1' && payload.email === 'user-1@example.com'
      && payload.email_verified === true && payload.name === 'User One', 'id_token claims (conform=false)');
    // oidc-provider only adds at_hash to id_tokens from the authorization endpoint.
    check(!('at_hash' in payload), 'no at_hash at the token endpoint');
    baselineKeys ??= Object.keys(payload).sort().join(',');
    check(!token.refresh_token, 'no refresh token without offline_access');
    const ui = await fetch(d.userinfo_endpoint, { headers: { authorization: `Bearer ${token.access_token}` } });
    const claims = await ui.json();
    check(ui.status === 200 && claims.sub === 'user-1' && claims.email === 'user-1@example.com'
      && claims.email_verified === true && claims.name === 'User One', 'userinfo claims');
  }

  // 3. form_post
  {
    const flow = await authorize(op, { params: { response_mode: 'form_post' } });
    logChain('form_post', flow);
    check(flow.formPost && flow.formPost.status === 200 && flow.formPost.action === REDIRECT, 'form_post action');
    check(flow.result.code && flow.result.state === flow.state && flow.result.iss === op.issuer, 'form_post inputs');
    if (verbose) console.log(flow.formPost.html);
    const token = await exchange(op, flow);
    check(token.status === 200 && decodeJwt(token.body.id_token).nonce === flow.nonce, 'form_post exchange');
  }

  // refresh tokens: offline_access needs prompt=consent. With an existing
  // session (same cookie jar) that yields a consent-only interaction; with no
  // session at all, nothing: the grant is already there.
  {
    const jar = new Jar();
    await codeFlow(op, { jar });
    const { flow, token } = await codeFlow(op, { jar, params: { scope: 'openid email offline_access', prompt: 'consent' } });
    logChain('offline_access + prompt=consent, existing session', flow);
    check(typeof token.refresh_token === 'string', 'refresh token issued');
    check(flow.chain.filter((h) => h.url.includes('/interaction/')).length === 1, 'one consent-only interaction');
    const sso = await codeFlow(op, { jar });
    logChain('existing session, no prompt (SSO)', sso.flow);
    check(sso.flow.chain.length === 1, 'no interaction with session + grant');
    const relogin = await codeFlow(op, { jar, params: { prompt: 'login' } });
    check(relogin.flow.chain.filter((h) => h.url.includes('/interaction/')).length === 1, 'prompt=login re-interacts');
    const fresh = await codeFlow(op, { params: { scope: 'openid offline_access', prompt: 'consent' } });
    check(typeof fresh.token.refresh_token === 'string', 'refresh token with fresh session too');
    const dropped = await codeFlow(op, { params: { scope: 'openid offline_access' } });
    check(!dropped.token.refresh_token, 'offline_access without prompt=consent is dropped');
    const res = await fetch(d.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token,
        client_id: CLIENTS.basic.id, client_secret: CLIENTS.basic.secret }),
    });
    const wrongAuth = await res.json();
    check(res.status === 401 && wrongAuth.error === 'invalid_client', `basic client may not use client_secret_post: ${res.status} ${JSON.stringify(wrongAuth)}`);
    const t2 = await exchangeRefresh(op, token.refresh_token);
    check(typeof t2.access_token === 'string' && typeof t2.id_token === 'string', 'refresh grant works');
    const { payload } = await verify(t2.id_token, 'basic');
    check(payload.sub === 'user-1', 'refreshed id_token');
  }

  // 4. tamper modes
  const now = () => Math.floor(Date.now() / 1000);
  const tamperCases = {
    'foreign-key': async (t, h, p, flow) => { check(h.kid === 'foreign-key' && p.nonce === flow.nonce, 'foreign-key header'); await rejects(t); },
    'foreign-key-same-kid': async (t, h, p, flow) => { check(h.kid === 'op-key-1' && p.nonce === flow.nonce, 'same kid header'); await rejects(t); },
    'wrong-audience': async (t, h, p) => { check(p.aud === 'another-client' && !('azp' in p), 'aud replaced'); await validSig(t); },
    'wrong-nonce': async (t, h, p) => { check(p.nonce === 'not-the-nonce', 'nonce replaced'); await validSig(t); },
    'wrong-issuer': async (t, h, p) => { check(p.iss === 'http://127.0.0.1:1', 'iss replaced'); await validSig(t); },
    'expired': async (t, h, p) => {
      check(Math.abs(p.exp - (now() - 3600)) < 5 && Math.abs(p.iat - (now() - 7200)) < 5, 'exp/iat in the past');
      await validSig(t);
    },
  };
  async function rejects(t) {
    let ok = false;
    try { await jwtVerify(t, keySet); } catch { ok = true; }
    check(ok, 'foreign signature rejected by the published JWKS');
  }
  async function validSig(t) {
    await jwtVerify(t, keySet, { currentDate: new Date((decodeJwt(t).iat + 1) * 1000) });
    passed += 1;
  }
  for (const [mode, assert] of Object.entries(tamperCases)) {
    await postJson(op, '/__test/tamper', { mode });
    const { flow, token } = await codeFlow(op);
    const h = decodeProtectedHeader(token.id_token);
    const p = decodeJwt(token.id_token);
    check(h.alg === 'RS256', `${mode}: alg`);
    // Everything not targeted by the mode is unchanged.
    if (mode !== 'wrong-audience') check(p.aud === CLIENTS.basic.id, `${mode}: aud kept`);
    if (mode !== 'wrong-nonce') check(p.nonce === flow.nonce, `${mode}: nonce kept`);
    if (mode !== 'wrong-issuer') check(p.iss === op.issuer, `${mode}: iss kept`);
    if (mode !== 'expired') check(p.exp > now(), `${mode}: exp kept`);
    check(Object.keys(p).sort().join(',') === baselineKeys, `${mode}: same claim set ${Object.keys(p)}`);
    check(p.email === 'user-1@example.com', `${mode}: claims kept`);
    await assert(token.id_token, h, p, flow);
    // One-shot: the next exchange is clean again.
    const clean = await codeFlow(op);
    await verify(clean.token.id_token, 'basic');
    passed += 1;
  }
  await postJson(op, '/__test/tamper', { mode: 'none' });

  // next-login with another account, then access_denied
  {
    await postJson(op, '/__test/next-login', { sub: 'user-2', email: 'two@example.com', email_verified: false, name: 'User Two' });
    const { token } = await codeFlow(op, { client: 'post' });
    const { payload } = await verify(token.id_token, 'post');
    check(payload.sub === 'user-2' && payload.email === 'two@example.com' && payload.email_verified === false, 'next-login account');
    await postJson(op, '/__test/next-login', { error: 'access_denied' });
    const flow = await authorize(op);
    logChain('access_denied', flow);
    check(flow.result.error === 'access_denied' && flow.result.error_description === 'refused by test'
      && flow.result.state === flow.state && flow.result.iss === op.issuer, '5. access_denied redirect');
    const fp = await authorize(op, { params: { response_mode: 'form_post' } });
    check(fp.formPost.status === 400 && fp.result.error === 'access_denied' && fp.result.state === fp.state
      && fp.result.iss === op.issuer, 'form_post error page');
    await postJson(op, '/__test/next-login', { sub: 'user-1', email: 'user-1@example.com', email_verified: true, name: 'User One' });
  }

  // 6. PKCE is mandatory
  {
    const flow = await authorize(op, { pkce: false });
    logChain('no code_challenge', flow);
    check(flow.result.error === 'invalid_request' && !flow.result.code, '6. missing code_challenge refused');
    if (verbose) console.log(flow.result);
  }

  // 7. stats
  {
    await postJson(op, '/__test/reset-stats');
    let s = await getStats(op);
    check(s.jwks_requests === 0 && s.token_requests === 0 && s.userinfo_requests === 0, 'stats reset');
    const { token } = await codeFlow(op);
    await fetch(d.jwks_uri);
    await fetch(d.jwks_uri);
    await fetch(d.userinfo_endpoint, { headers: { authorization: `Bearer ${token.access_token}` } });
    s = await getStats(op);
    check(s.jwks_requests === 2 && s.token_requests === 1 && s.userinfo_requests === 1, `stats count ${JSON.stringify(s)}`);
  }

  check(op.stdoutRest() === '', 'nothing else on stdout');
  if (verbose) console.log(`--- server stderr\n${op.stderr()}`);
  op.child.stdin.end();
  const timer = setTimeout(() => op.child.kill('SIGKILL'), 5000);
  const [code, signal] = await once(op.child, 'exit');
  clearTimeout(timer);
  check(code === 0 && signal === null, '7. exits when stdin closes');

  // conformIdTokenClaims=true: claims only via userinfo
  {
    const op2 = await startOp({ OIDC_CONFORM_ID_TOKEN_CLAIMS: 'true' });
    op2.discovery = await (await fetch(`${op2.issuer}/.well-known/openid-configuration`)).json();
    const { token } = await codeFlow(op2);
    const p = decodeJwt(token.id_token);
    check(p.sub === 'user-1' && !('email' in p) && !('name' in p), 'conform=true keeps claims out of id_token');
    const ui = await (await fetch(op2.discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
    check(ui.email === 'user-1@example.com' && ui.name === 'User One', 'conform=true userinfo');
    op2.child.kill('SIGTERM');
    const [c2] = await once(op2.child, 'exit');
    check(c2 === 0, 'exits on SIGTERM');
  }

  async function exchangeRefresh(o, rt) {
    const res = await fetch(o.discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENTS.basic.id}:${CLIENTS.basic.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }),
    });
    check(res.status === 200, 'refresh grant status');
    return res.json();
  }
}

try {
  await main();
  console.log(`smoke: ${passed} passed, 0 failed`);
} catch (err) {
  console.error(err);
  console.log(`smoke: ${passed} passed, 1 failed`);
  process.exit(1);
}
