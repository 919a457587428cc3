// The npm openid-client (v6) against yiwang's provider: discovery, code + PKCE, userinfo, refresh, logout.
// Run by tests/interop/test_openid_client.py with ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// POST_LOGOUT_REDIRECT_URI, USERNAME and PASSWORD in the environment; prints one JSON object of findings.
import * as client from 'openid-client'

const env = process.env
const jar = new Map()

function keep (response) {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';')[0]
    const at = pair.indexOf('=')
    const name = pair.slice(0, at)
    const value = pair.slice(at + 1)
    if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '' || value === '""') jar.delete(name)
    else jar.set(name, value)
  }
  return response
}

const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
const browserGet = async (url) => keep(await fetch(url, { redirect: 'manual', headers: { cookie: cookies() } }))
const browserPost = async (url, form) => keep(await fetch(url, {
  method: 'POST',
  redirect: 'manual',
  headers: { cookie: cookies(), 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(form).toString()
}))

const unescape = (s) => s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&')

function loginForm (html) {
  const action = html.match(/<form method="post" action="([^"]+)"/)[1]
  const fields = {}
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = unescape(m[2])
  return { action, fields }
}

async function refused (promise) {
  try {
    await promise
    return false
  } catch (error) {
    return error.code || error.name || 'error'
  }
}

const found = {}
const config = await client.discovery(new URL(env.ISSUER), env.CLIENT_ID, env.CLIENT_SECRET, undefined, {
  execute: [client.allowInsecureRequests] // the test serves plain http on loopback
})
found.issuer = config.serverMetadata().issuer

const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const nonce = client.randomNonce()
const authorize = client.buildAuthorizationUrl(config, {
  redirect_uri: env.REDIRECT_URI,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce
})
const page = await browserGet(authorize)
found.login_page = page.status
const form = loginForm(await page.text())
const back = await browserPost(new URL(form.action, env.ISSUER), { ...form.fields, username: env.USERNAME, password: env.PASSWORD })
found.login_status = back.status
const tokens = await client.authorizationCodeGrant(config, new URL(back.headers.get('location')), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true
})
const claims = tokens.claims()
found.sub = claims.sub
found.name = claims.name
found.nonce_ok = claims.nonce === nonce
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
found.userinfo_username = info.preferred_username

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
found.refresh_rotated = refreshed.refresh_token !== tokens.refresh_token && refreshed.access_token !== tokens.access_token
found.old_refresh_refused = await refused(client.refreshTokenGrant(config, tokens.refresh_token))

const end = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: env.POST_LOGOUT_REDIRECT_URI,
  state: 'bye'
})
const bye = await browserGet(end)
found.logout_status = bye.status
found.logout_location = bye.headers.get('location')
found.userinfo_after_logout = await refused(client.fetchUserInfo(config, refreshed.access_token, claims.sub))
process.stdout.write(JSON.stringify(found) + '\n')
