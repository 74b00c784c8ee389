// Access control for FHIR requests: a static bearer token and/or tokens issued by a
// SMART Backend Services token endpoint (client_credentials + private_key_jwt).
import crypto from 'node:crypto';
import fs from 'node:fs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_SECONDS = 300;

// JOSE alg -> key requirements and signature encoding (ES* signatures are raw r||s).
const ALGORITHMS = {
  RS384: { keyType: 'rsa', dsaEncoding: undefined },
  ES384: { keyType: 'ec', namedCurve: 'secp384r1', dsaEncoding: 'ieee-p1363' },
};

/**
 * Reads public keys from PEM files (one key each) or JWKS JSON files ({"keys":[...]}).
 * @returns {{key: crypto.KeyObject, kid?: string}[]}
 */
export function loadPublicKeys(files) {
  return files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    if (text.trimStart().startsWith('{')) {
      return JSON.parse(text).keys.map((jwk) => ({ key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), kid: jwk.kid }));
    }
    return [{ key: crypto.createPublicKey(text) }];
  });
}

export class AccessControl {
  #bearer;
  #smart; // { clientId, keys, tokenTtlSeconds }
  #issuedTokens = new Map(); // access token -> expiry (ms since epoch)
  #seenJtis = new Map(); // jti -> assertion expiry (ms); older entries cannot be replayed anyway

  constructor({ bearer, smart }) {
    this.#bearer = bearer;
    this.#smart = smart;
  }

  get smartEnabled() {
    return Boolean(this.#smart);
  }

  /**
   * Checks an Authorization header for a FHIR request.
   * @returns undefined when allowed, else { message, challenge } for a 401 answer.
   */
  check(authorization) {
    if (!this.#bearer && !this.#smart) {
      return undefined;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) {
      return { message: 'Missing bearer token', challenge: 'Bearer realm="fhir"' };
    }
    const token = match[1];
    if (this.#bearer && safeEqual(token, this.#bearer)) {
      return undefined;
    }
    const expiresAt = this.#issuedTokens.get(token);
    if (expiresAt !== undefined && expiresAt > Date.now()) {
      return undefined;
    }
    const message = expiresAt === undefined ? 'Unknown access token' : 'Access token expired';
    return { message, challenge: `Bearer realm="fhir", error="invalid_token", error_description="${message}"` };
  }

  /**
   * Handles a token request (form fields as URLSearchParams).
   * @returns {{ status: number, body: object }}
   */
  issueToken(form, tokenUrl) {
    if (!this.#smart) {
      return oauthError(404, 'invalid_request', 'This server has no SMART client configured');
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return oauthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
    }
    const scope = form.get('scope');
    if (!scope) {
      return oauthError(400, 'invalid_scope', 'scope is required');
    }
    const failure = this.#verifyAssertion(form.get('client_assertion') ?? '', tokenUrl);
    if (failure) {
      return oauthError(401, 'invalid_client', failure);
    }
    this.#forgetExpired();
    const accessToken = crypto.randomBytes(32).toString('base64url');
    const ttl = this.#smart.tokenTtlSeconds;
    this.#issuedTokens.set(accessToken, Date.now() + ttl * 1000);
    return { status: 200, body: { access_token: accessToken, token_type: 'bearer', expires_in: ttl, scope } };
  }

  /** @returns undefined when valid, else the reason. */
  #verifyAssertion(jwt, tokenUrl) {
    const parts = jwt.split('.');
    if (parts.length !== 3) {
      return 'client_assertion is not a compact JWS';
    }
    let header;
    let claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return 'client_assertion header or claims are not JSON';
    }
    const algorithm = ALGORITHMS[header?.alg];
    if (!algorithm) {
      return `Unsupported alg ${JSON.stringify(header?.alg)}; expected RS384 or ES384`;
    }
    const candidates = this.#smart.keys.filter(
      ({ key, kid }) =>
        key.asymmetricKeyType === algorithm.keyType &&
        (!algorithm.namedCurve || key.asymmetricKeyDetails.namedCurve === algorithm.namedCurve) &&
        (!header.kid || !kid || kid === header.kid)
    );
    const signedData = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    const verified = candidates.some(({ key }) => {
      try {
        return crypto.verify('sha384', signedData, { key, dsaEncoding: algorithm.dsaEncoding }, signature);
      } catch {
        return false; // e.g. a signature of the wrong length
      }
    });
    if (!verified) {
      return 'Signature does not verify with any registered key for this alg';
    }

    const { clientId } = this.#smart;
    if (claims?.iss !== clientId || claims?.sub !== clientId) {
      return 'iss and sub must both equal the client id';
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(tokenUrl)) {
      return `aud must be ${tokenUrl}`;
    }
    const nowSeconds = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) {
      return 'exp is missing or in the past';
    }
    if (claims.exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS) {
      return `exp is more than ${MAX_ASSERTION_LIFETIME_SECONDS} s in the future`;
    }
    if (typeof claims.jti !== 'string' || claims.jti === '') {
      return 'jti is required';
    }
    if (this.#seenJtis.has(claims.jti)) {
      return 'jti has already been used';
    }
    this.#seenJtis.set(claims.jti, claims.exp * 1000);
    return undefined;
  }

  #forgetExpired() {
    const now = Date.now();
    for (const map of [this.#issuedTokens, this.#seenJtis]) {
      for (const [key, expiresAt] of map) {
        if (expiresAt <= now) {
          map.delete(key);
        }
      }
    }
  }
}

function oauthError(status, error, description) {
  return { status, body: { error, error_description: description } };
}

function safeEqual(a, b) {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
