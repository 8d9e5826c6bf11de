// Awaiting approval: the queue, oldest first, with how long each has waited, its risk and the
// approvals collected against those required. Approvers decide here, with a comment; a refusal
// (separation of duties, the same approver twice, a stale view) is shown in the API's words.

import { ApiError } from "./api.js";
import { field, h, message, replace, waited } from "./dom.js";

function outcome(result) {
  if (result.state === "collected") {
    return `Your approval is recorded: ${result.approvers.length} of ${result.approvals_required} ` +
      `(${result.approvers.join(", ")}). It goes to the registry once enough approvers agree.`;
  }
  return `Your decision (${result.decision}) was sent to the model registry; the record follows its event.`;
}

function decisionForm(ctx, item, reload) {
  const comment = h("textarea", { name: "comment", rows: 2, required: true, maxlength: 1024,
    id: `comment-${item.model_group}-${item.model_version}-${item.stage}` });
  const problem = h("div", { class: "decision-result", "aria-live": "polite" });
  const buttons = ["approve", "reject"].map((decision) =>
    h("button", { type: "submit", name: "decision", value: decision, class: decision === "reject" ? "danger" : null },
      decision === "approve" ? "Approve" : "Reject"));
  const form = h("form", { class: "decision", "aria-label": `Decide ${item.model_group} v${item.model_version} ${item.stage}` },
    field("Comment (required: why)", comment), h("div", { class: "buttons" }, buttons), problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const decision = event.submitter?.value || "approve";
    if (!comment.value.trim()) {
      replace(problem, message("error", "Say why: a decision takes a comment."));
      comment.focus();
      return;
    }
    for (const button of buttons) button.disabled = true;
    const path = `models/${encodeURIComponent(item.model_group)}/versions/${item.model_version}` +
      `/stages/${encodeURIComponent(item.stage)}/decisions`;
    try {
      const result = await ctx.api.post(path, { decision, comment: comment.value.trim() },
        { "If-Match": item.registry_last_modified });
      ctx.toast(outcome(result));
      replace(problem, message("ok", outcome(result)));
      setTimeout(reload, 1500);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(problem, message("error", `Refused: ${error.message}`));
      for (const button of buttons) button.disabled = false;
    }
  });
  return form;
}

function card(ctx, item, reload) {
  const link = `#/models/${encodeURIComponent(item.model_group)}/${item.model_version}`;
  const approvals = item.approvals.length
    ? h("ul", { class: "approvers" }, item.approvals.map((a) => h("li", {}, `${a.by}: “${a.comment}”`)))
    : null;
  return h("article", { class: "card queue-item", "data-model": `${item.model_group}/${item.model_version}`,
    "data-stage": item.stage },
  h("h2", {}, h("a", { href: link }, `${item.model_group} v${item.model_version}`), " ",
    h("span", { class: "stage-name" }, item.stage)),
  h("dl", { class: "facts" },
    h("dt", {}, "Waiting"), h("dd", {}, waited(item.waited_seconds)),
    h("dt", {}, "Risk"), h("dd", {}, item.model_risk || "not set"),
    h("dt", {}, "Approvals"), h("dd", { class: "approval-count" }, `${item.approvals_collected} of ${item.approvals_required}`),
    h("dt", {}, "Owner"), h("dd", {}, item.model_owner || "—"),
    h("dt", {}, "Use case"), h("dd", {}, item.use_case_id || "—"),
    h("dt", {}, "Deployment"), h("dd", {}, item.deployment_status || "none")),
  approvals,
  item.decision_sent
    ? message("info", "A decision was sent to the registry: waiting for its event.")
    : ctx.may("decide") ? decisionForm(ctx, item, reload) : null);
}

export async function approvalsView(main, ctx) {
  document.title = "Awaiting approval — govsync";
  const draw = async () => {
    const pending = (await ctx.refreshPending()) ?? (await ctx.api.get("approvals/pending")).pending;
    ctx.show(h("h1", {}, "Awaiting approval"),
      h("p", { class: "muted" }, `Oldest first. ${pending.length} stage${pending.length === 1 ? "" : "s"} waiting.`),
      ctx.may("decide") ? null
        : message("info", `You may read the queue; deciding takes the group approvers or admins (yours: ${ctx.me.groups.join(", ") || "none"}).`),
      pending.length ? h("div", { class: "queue" }, pending.map((item) => card(ctx, item, draw)))
        : message("info", "Nothing is waiting for a decision."));
  };
  await draw();
}
