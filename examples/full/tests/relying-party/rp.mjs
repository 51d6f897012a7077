// A relying party on openid-client 6 (an OpenID Certified library) signing in at yauth's
// OpenID Provider, driven by tests/openid_client.rs. It plays the browser too: it carries the
// signed-in user's session cookie to yauth's consent and device-verification APIs.
//
// Environment: ISSUER, CLIENT_ID (a public client), REDIRECT_URI, COOKIE (`name=value` of a
// session), ORIGIN (yauth's base URL, for the Origin check of the browser's posts),
// REGISTRATION_TOKEN (the initial access token of dynamic registration).
// Prints one JSON line: what the library verified and received. Any failure exits non-zero.
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env('ISSUER'));
const clientId = env('CLIENT_ID');
const redirectUri = env('REDIRECT_URI');
const cookie = env('COOKIE');
const origin = env('ORIGIN');
const api = (path) => new URL(path, `${issuer.href.replace(/\/$/, '')}/`);

// Discovery 1.0: {issuer}/.well-known/openid-configuration, whose issuer must match. Loopback
// is plain http, which the library refuses unless told.
const config = await client.discovery(issuer, clientId, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});

// RFC 8414 discovery finds the same server at its own location for a path issuer.
const oauthMetadata = await client.discovery(issuer, clientId, undefined, client.None(), {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests],
});

// The authorization code grant with PKCE S256, state and nonce.
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid email profile offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
});

// The browser: the consent the page would show, then the user's approval.
const prompt = await fetch(authorizationUrl, {
  headers: { cookie, accept: 'application/json' },
  redirect: 'manual',
});
if (prompt.status !== 200) throw new Error(`consent prompt: ${prompt.status} ${await prompt.text()}`);
const consent = await prompt.json();
const decision = Object.fromEntries(authorizationUrl.searchParams);
decision.decision = 'approve';
const approved = await fetch(api('oauth/authorize'), {
  method: 'POST',
  headers: { cookie, origin, 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify(decision),
});
if (approved.status !== 200) throw new Error(`approval: ${approved.status} ${await approved.text()}`);
const { redirect_to: callback } = await approved.json();

// The library checks the response (state, iss), exchanges the code with the verifier, and
// validates the id_token: signature against the JWKS, iss, aud, exp, iat, nonce.
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
// UserInfo, whose sub must be the id_token's.
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

// A refresh rotates the refresh token.
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);

// The device grant: the device asks, the user approves on the verification page's API, the
// device polls until the tokens come.
const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
const decided = await fetch(api('oauth/device'), {
  method: 'POST',
  headers: { cookie, origin, 'content-type': 'application/json' },
  body: JSON.stringify({ user_code: device.user_code, decision: 'approve' }),
});
if (decided.status !== 200) throw new Error(`device approval: ${decided.status} ${await decided.text()}`);
const deviceTokens = await client.pollDeviceAuthorizationGrant(config, device);

// Dynamic registration (RFC 7591) with the initial access token: a confidential client, which
// then gets a token for itself, introspects it and revokes it.
const registered = await client.dynamicClientRegistration(issuer, {
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'client_credentials'],
  token_endpoint_auth_method: 'client_secret_basic',
  client_name: 'openid-client machine',
}, undefined, {
  initialAccessToken: env('REGISTRATION_TOKEN'),
  execute: [client.allowInsecureRequests],
});
const machine = await client.clientCredentialsGrant(registered, { scope: 'profile' });
const introspected = await client.tokenIntrospection(registered, machine.access_token);
await client.tokenRevocation(registered, machine.access_token);
const afterRevocation = await client.tokenIntrospection(registered, machine.access_token);

// RP-initiated logout: the library builds the URL, the browser follows it.
const endSession = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: redirectUri,
  state: 'signed-out',
});
const loggedOut = await fetch(endSession, { headers: { cookie }, redirect: 'manual' });
const session = await fetch(api('session'), { headers: { cookie } });

console.log(JSON.stringify({
  metadata_issuer: config.serverMetadata().issuer,
  rfc8414_token_endpoint: oauthMetadata.serverMetadata().token_endpoint,
  consent_client: consent.client_id,
  id_token_claims: claims,
  scope: tokens.scope,
  userinfo,
  refreshed: typeof refreshed.access_token === 'string'
    && refreshed.refresh_token !== tokens.refresh_token,
  device_scope: deviceTokens.scope,
  device_access_token: typeof deviceTokens.access_token === 'string',
  registered_client_id: registered.clientMetadata().client_id,
  machine_scope: machine.scope,
  introspected_active: introspected.active,
  introspected_client_id: introspected.client_id,
  introspected_sub: introspected.sub,
  active_after_revocation: afterRevocation.active,
  end_session_status: loggedOut.status,
  end_session_location: loggedOut.headers.get('location'),
  session_after_logout: session.status,
}));
