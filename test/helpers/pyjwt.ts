// PyJWT, from Debian's python3-jwt (what the Flask tutorials use), run by Debian's own python (not the
// pyenv one first on PATH): a verifier other than ours, for the interoperability tests.
import { spawn, spawnSync } from 'node:child_process';
import { itWhenAvailable } from './services';

const SYSTEM_PYTHON = '/usr/bin/python3';
const PYJWT_MISSING = `PyJWT is not importable by ${SYSTEM_PYTHON}: install Debian's python3-jwt (apt-get install -y python3-jwt; .ci/run does it)`;
const pyjwtAvailable = spawnSync(SYSTEM_PYTHON, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }).status === 0;
/** Skipped on a developer's machine without it, never silently; under CI the tests run and fail instead. */
export const itWithPyJWT = itWhenAvailable(pyjwtAvailable, PYJWT_MISSING);

const PYJWT_VERIFY = `
import json, sys, jwt
request = json.load(sys.stdin)
token, alg = request["token"], request["alg"]
if alg == "HS256":
    key = request["secret"]
else:
    key = jwt.PyJWKClient(request["jwks"]).get_signing_key_from_jwt(token).key
claims = jwt.decode(token, key, algorithms=[alg], issuer=request["iss"], audience=request["aud"],
                    options={"require": ["exp", "iat", "nbf", "sub", "jti"]})
print(json.dumps({"version": jwt.__version__, "header": jwt.get_unverified_header(token), "claims": claims}))
`;

/** Run PyJWT without blocking the event loop: it fetches the JWKS from the server in this process. */
export function pyjwtVerify(request: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  if (!pyjwtAvailable) throw new Error(PYJWT_MISSING);
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', PYJWT_VERIFY], { env: { ...process.env, NO_PROXY: '*', no_proxy: '*' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(JSON.stringify(request));
  });
}
