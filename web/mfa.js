// Setting up an authenticator app (TOTP) for the signed-in user: what a decider needs when the stack
// requires MFA for decisions (DeciderMfa=required). Cognito's own calls, with the user's access token.

import * as auth from "./auth.js";
import { field, h, message } from "./dom.js";

/** The field an authenticator app's 6-digit code goes in. */
export function codeInput(name) {
  return h("input", { name, inputmode: "numeric", autocomplete: "one-time-code", required: true,
    pattern: "[0-9]{6}", maxlength: 6 });
}

export async function mfaSetupView(main, ctx) {
  const secret = await auth.associateAuthenticator(ctx.config);
  const label = encodeURIComponent(`govsync:${ctx.me.username}`);
  const uri = `otpauth://totp/${label}?secret=${secret}&issuer=govsync`;
  const code = codeInput("mfa-code");
  const problem = h("div", { "aria-live": "assertive" });
  const submit = h("button", { type: "submit" }, "Verify and turn on MFA");
  const form = h("form", { class: "card", "aria-labelledby": "mfa-setup-title" },
    h("h1", { id: "mfa-setup-title" }, "Set up an authenticator app"),
    h("p", {}, "Decisions take a person whose sign-in asks for an authenticator app's code. Add this key to your "
      + "app (Google Authenticator, 1Password, Microsoft Authenticator…) as a time-based key, then enter the "
      + "6-digit code it shows."),
    h("p", {}, "Key: ", h("code", { id: "mfa-secret" }, secret)),
    h("p", { class: "muted" }, "Or, in an app that reads links: ", h("code", {}, uri)),
    field("Code from the app", code), problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await auth.verifyAuthenticator(ctx.config, code.value.trim());
      ctx.signInAgain("MFA is on: sign in again, with your password and then the app's code, to decide.");
    } catch (error) {
      problem.replaceChildren(message("error", `The code was not accepted: ${error.message}`));
    } finally {
      submit.disabled = false;
    }
  });
  ctx.show(form);
  code.focus();
}
