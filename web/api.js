// The governance API, with the signed-in user's ID token. Errors carry the API's own words
// (`{"message": ...}`), which the views show as they are.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function createApi(base, token, onSignedOut) {
  async function call(method, path, { body, headers = {}, raw = false } = {}) {
    const bearer = await token();
    if (!bearer) {
      onSignedOut();
      throw new ApiError(401, "Your session ended: sign in again.");
    }
    const init = { method, headers: { Authorization: bearer, ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(new URL(path, base), init);
    } catch (error) {
      throw new ApiError(0, `The governance API cannot be reached: ${error.message}`);
    }
    if (answer.status === 401) {
      onSignedOut();
      throw new ApiError(401, "Your session ended: sign in again.");
    }
    if (!answer.ok) {
      const data = await answer.json().catch(() => ({}));
      throw new ApiError(answer.status, data.message || `The API answered ${answer.status} ${answer.statusText}`);
    }
    return raw ? answer : answer.json();
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body, headers) => call("POST", path, { body, headers }),
    download: (path) => call("GET", path, { raw: true }),
    /** Every page of a listing that answers {key: [...], next}. */
    async all(path, key, limit = 20) {
      const items = [];
      let cursor = null;
      for (let page = 0; page < limit; page += 1) {
        const url = cursor ? `${path}${path.includes("?") ? "&" : "?"}next=${encodeURIComponent(cursor)}` : path;
        const answer = await call("GET", url);
        items.push(...answer[key]);
        cursor = answer.next;
        if (!cursor) break;
      }
      return items;
    },
  };
}
