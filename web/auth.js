// Sign-in with the Cognito user pool, from the browser (InitiateAuth, USER_PASSWORD_AUTH over TLS,
// as the app client allows): the ID token is what the API's authorizer checks. Tokens live in this
// tab's sessionStorage only, and are refreshed with the refresh token when they expire.

const KEY = "govsync.session";
const SKEW_SECONDS = 60;

async function cognito(config, action, body) {
  let answer;
  try {
    answer = await fetch(config.cognito.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`Cognito cannot be reached (${config.cognito.endpoint}): ${error.message}`);
  }
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const kind = String(data.__type || "").split("#").pop();
    throw new Error(data.message || data.Message || kind || `Cognito answered ${answer.status}`);
  }
  return data;
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

function keep(result, previous = {}) {
  const session = {
    idToken: result.IdToken,
    accessToken: result.AccessToken || previous.accessToken, // for setting up MFA (Cognito's own calls)
    refreshToken: result.RefreshToken || previous.refreshToken,
    expires: claims(result.IdToken).exp,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

/** The ID token to send, refreshed if it expired; null when the user must sign in. */
export async function token(config) {
  const session = stored();
  if (!session) return null;
  if (session.expires - SKEW_SECONDS > Date.now() / 1000) return session.idToken;
  if (!session.refreshToken) return null;
  try {
    const answer = await cognito(config, "InitiateAuth", {
      ClientId: config.cognito.client_id,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    });
    return keep(answer.AuthenticationResult, session).idToken;
  } catch {
    signOut();
    return null;
  }
}

/** Sign in; returns {challenge, session} when the pool wants a new password or an MFA code first. */
export async function signIn(config, username, password) {
  const answer = await cognito(config, "InitiateAuth", {
    ClientId: config.cognito.client_id,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  if (answer.AuthenticationResult) return { signedIn: keep(answer.AuthenticationResult) };
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED" || answer.ChallengeName === "SOFTWARE_TOKEN_MFA") {
    return { challenge: answer.ChallengeName, session: answer.Session };
  }
  throw new Error(`this dashboard cannot answer the sign-in challenge ${answer.ChallengeName}`);
}

/** Answer the sign-in's challenge (`responses` besides the username); the signed-in session. */
async function answerChallenge(config, challenge, session, username, responses) {
  const answer = await cognito(config, "RespondToAuthChallenge", {
    ClientId: config.cognito.client_id,
    ChallengeName: challenge,
    Session: session,
    ChallengeResponses: { USERNAME: username, ...responses },
  });
  return keep(answer.AuthenticationResult);
}

export function setNewPassword(config, username, password, session) {
  return answerChallenge(config, "NEW_PASSWORD_REQUIRED", session, username, { NEW_PASSWORD: password });
}

/** Set up an authenticator app, step 1: the secret key to add to it (Cognito's AssociateSoftwareToken). */
export async function associateAuthenticator(config) {
  const session = stored();
  if (!session || !session.accessToken) throw new Error("sign in again first");
  const answer = await cognito(config, "AssociateSoftwareToken", { AccessToken: session.accessToken });
  return answer.SecretCode;
}

/** Step 2: the app's first code proves it works; then MFA is on and preferred for this user. */
export async function verifyAuthenticator(config, code) {
  const { accessToken } = stored() || {};
  await cognito(config, "VerifySoftwareToken", { AccessToken: accessToken, UserCode: code, FriendlyDeviceName: "govsync" });
  await cognito(config, "SetUserMFAPreference", {
    AccessToken: accessToken,
    SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  });
}

/** The authenticator app's code for the SOFTWARE_TOKEN_MFA challenge. */
export function answerMfa(config, username, code, session) {
  return answerChallenge(config, "SOFTWARE_TOKEN_MFA", session, username, { SOFTWARE_TOKEN_MFA_CODE: code });
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
