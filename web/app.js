// The governance dashboard: sign-in, the navigation, and which view the address shows.
// Views: #/inventory, #/approvals, #/models/<group>/<version>, #/usecases, #/export.

import { createApi } from "./api.js";
import * as auth from "./auth.js";
import { field, h, message, replace } from "./dom.js";
import { approvalsView } from "./approvals.js";
import { exportView } from "./exporting.js";
import { inventoryView } from "./inventory.js";
import { codeInput, mfaSetupView } from "./mfa.js";
import { useCasesView } from "./usecases.js";
import { versionView } from "./version.js";

const main = document.getElementById("main");
const ctx = { config: null, api: null, me: null, toast, refreshPending };
let timer = null;

function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.classList.add("shown");
  clearTimeout(toast.hide);
  toast.hide = setTimeout(() => box.classList.remove("shown"), 6000);
}

function may(permission) {
  return Boolean(ctx.me && ctx.me.permissions.includes(permission));
}

/** Signed out, the header is the product's name only: no menu, no Sign out, the name not a link. */
function header(signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  const brand = document.querySelector(".brand");
  if (signedIn) brand.setAttribute("href", "#/inventory");
  else brand.removeAttribute("href");
}

function signedOut() {
  auth.signOut();
  ctx.me = null;
  header(false);
}

function signInView(note, kind = "error") {
  document.title = "Sign in — govsync";
  header(false);
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const problem = h("div", { "aria-live": "assertive" }, note ? message(kind, note) : null);
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", { class: "muted" }, "With your user of the governance user pool. What you may do follows your groups."),
    field("Username", username), field("Password", password), problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(problem);
    try {
      const result = await auth.signIn(ctx.config, username.value.trim(), password.value);
      if (result.challenge === "SOFTWARE_TOKEN_MFA") return mfaView(username.value.trim(), result.session);
      if (result.challenge) return newPasswordView(username.value.trim(), result.session);
      await route();
    } catch (error) {
      replace(problem, message("error", `Sign-in failed: ${error.message}`));
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  username.focus();
}

function mfaView(username, session) {
  const code = codeInput("code");
  const problem = h("div", { "aria-live": "assertive" });
  const submit = h("button", { type: "submit" }, "Verify and sign in");
  const form = h("form", { class: "card sign-in", "aria-labelledby": "mfa-title" },
    h("h1", { id: "mfa-title" }, "Authenticator code"),
    h("p", { class: "muted" }, "Your user has MFA set up: enter the 6-digit code your authenticator app shows now."),
    field("Code", code), problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await auth.answerMfa(ctx.config, username, code.value.trim(), session);
      await route();
    } catch (error) {
      // a wrong code ends Cognito's session: sign in again
      signInView(`The code was not accepted (${error.message}): sign in again.`);
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  code.focus();
}

function newPasswordView(username, session) {
  const password = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: 14 });
  const problem = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "card sign-in" }, h("h1", {}, "Choose a new password"),
    h("p", { class: "muted" }, "Your first sign-in: the user pool asks for a password of your own."),
    field("New password", password, "14 characters or more, with upper and lower case, a digit and a symbol."),
    problem, h("button", { type: "submit" }, "Set password and sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await auth.setNewPassword(ctx.config, username, password.value, session);
      await route();
    } catch (error) {
      replace(problem, message("error", error.message));
    }
  });
  replace(main, form);
  password.focus();
}

async function refreshPending() {
  try {
    const { pending } = await ctx.api.get("approvals/pending");
    document.getElementById("pending-count").textContent = pending.length ? String(pending.length) : "";
    return pending;
  } catch {
    return null;
  }
}

function showPerson() {
  header(true);
  document.getElementById("who-name").textContent = ctx.me.name;
  document.getElementById("who-groups").textContent = `(${ctx.me.groups.join(", ") || "no group"})`;
  for (const link of document.querySelectorAll("#nav a[data-permission]")) {
    link.hidden = !may(link.dataset.permission);
  }
  // the stack requires MFA of deciders and this decider has none yet: offer to set it up
  const mfa = ctx.me.mfa || {};
  document.getElementById("mfa-setup").hidden = !(mfa.required && mfa.set_up === false && may("decide"));
}

const VIEWS = {
  inventory: inventoryView,
  approvals: approvalsView,
  models: versionView,
  usecases: useCasesView,
  export: exportView,
  mfa: mfaSetupView,
};

let shown = 0; // the view the address asks for now: a view's late redraw for an older address draws nothing

async function route() {
  const mine = ++shown;
  clearInterval(timer);
  timer = null;
  if (!(await auth.token(ctx.config))) return signInView();
  try {
    if (!ctx.me) ctx.me = await ctx.api.get("me");
  } catch (error) {
    return signInView(error.message);
  }
  showPerson();
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "inventory", ...args] = path.split("/").map(decodeURIComponent);
  const view = VIEWS[name] || inventoryView;
  for (const link of document.querySelectorAll("#nav a")) {
    link.toggleAttribute("aria-current", link.dataset.view === (VIEWS[name] ? name : "inventory"));
  }
  refreshPending();
  const viewCtx = {
    ...ctx, may, args, query: new URLSearchParams(query),
    every: (ms, fn) => { timer = setInterval(fn, ms); },
    // (replaceState: a hash change would route again and draw the sign-in without the note)
    signInAgain: (note) => { signedOut(); history.replaceState(null, "", "#/inventory"); signInView(note, "ok"); },
    /** Draw the view, unless the address moved on meanwhile (an answer arriving late, a timer, a reload). */
    show: (...children) => { if (mine === shown) replace(main, ...children); },
  };
  replace(main, h("p", { class: "muted", role: "status" }, "Loading…"));
  main.setAttribute("aria-busy", "true");
  try {
    await view(main, viewCtx);
  } catch (error) {
    if (error.status === 401) return signInView(error.message);
    viewCtx.show(h("h1", {}, "Something went wrong"), message("error", error.message));
  } finally {
    main.setAttribute("aria-busy", "false");
    main.dataset.renders = String(Number(main.dataset.renders || 0) + 1); // each view shown, counted
  }
  main.focus({ preventScroll: true });
}

async function boot() {
  try {
    const answer = await fetch("config.json", { cache: "no-store" });
    ctx.config = await answer.json();
  } catch (error) {
    replace(main, message("error", `The dashboard's settings cannot be read: ${error.message}`));
    return;
  }
  const base = new URL("../", location.href);
  ctx.api = createApi(base, () => auth.token(ctx.config), () => signedOut());
  document.getElementById("sign-out").addEventListener("click", () => {
    signedOut();
    location.hash = "#/inventory";
    signInView();
  });
  window.addEventListener("hashchange", route);
  await route();
}

boot();
