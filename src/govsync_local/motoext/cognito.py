"""Cognito user pools sign their tokens with a key of their own, generated when the pool is created,
and serve its public half at `/{pool}/.well-known/jwks.json`, as Cognito does. (moto signs every
pool's tokens with the private key it publishes in its source, so anyone could mint a token the local
authorizer would trust.) An authenticator code is taken from the period before or after the current
one too, as RFC 6238 section 5.2 advises for delay and clock drift (moto takes only the current 30
seconds, so a code read at a period's last moment would be refused a moment later)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

KID = "dummy"  # the key id moto's create_jwt puts in every token's header


def install() -> None:
    from joserfc import jwk
    from moto.cognitoidp import models, urls
    from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    original_init = CognitoIdpUserPool.__init__

    def init(self: CognitoIdpUserPool, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.json_web_key = jwk.RSAKey.generate_key(2048, {"kid": KID, "alg": "RS256", "use": "sig"}, private=True)

    def serve_json_web_key(*args: Any) -> Any:
        # called with (request, full_url, headers)
        pool_id = urlsplit(str(args[1])).path.strip("/").split("/")[0]
        for accounts in cognitoidp_backends.values():
            for backend in accounts.values():
                pool = backend.user_pools.get(pool_id)
                if pool is not None:
                    public = pool.json_web_key.as_dict(private=False)
                    return 200, {"Content-Type": "application/json"}, json.dumps({"keys": [public]}).encode()
        return 404, {"Content-Type": "application/json"}, json.dumps({"message": "no such user pool"}).encode()

    verify_now_only = models.verify_totp

    def verify_with_drift(totp: Any, code: bytes, valid_window: int = 0) -> None:
        verify_now_only(totp, code, valid_window=max(valid_window, 1))

    models.verify_totp = verify_with_drift
    CognitoIdpUserPool.__init__ = init  # type: ignore[method-assign]
    CognitoIdpJsonWebKeyResponse.serve_json_web_key = staticmethod(serve_json_web_key)  # type: ignore[method-assign]
    for path in list(urls.url_paths):  # the server's URL map took the function itself
        if path.endswith("jwks.json$"):
            urls.url_paths[path] = serve_json_web_key
