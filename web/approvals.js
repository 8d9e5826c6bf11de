// Awaiting approval: the queue, oldest first. Each card tells what a decision should be made knowing:
// why it waits, live alerts on the stage or the stage before, the gates' last word, the review, lineage,
// the approvals so far and the previous decision. Approvers decide here, with a comment; a refusal
// (separation of duties, the same approver twice, a stale view) is shown in the API's words. After a
// decision the keyboard goes on to the next card (or the queue's heading when none is left).

import { ApiError } from "./api.js";
import { alertWords, field, GATE_RULES, h, message, replace, tier, time, waited } from "./dom.js";

function outcome(result) {
  if (result.state === "collected") {
    return `Your approval is recorded: ${result.approvers.length} of ${result.approvals_required} ` +
      `(${result.approvers.join(", ")}). It goes to the registry once enough approvers agree.`;
  }
  return `Your decision (${result.decision}) was sent to the model registry; the record follows its event.`;
}

const key = (item) => `${item.model_group}/${item.model_version}/${item.stage}`;

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
      setTimeout(() => reload(key(item)), 1500);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(problem, message("error", `Refused: ${error.message}`));
      for (const button of buttons) button.disabled = false;
    }
  });
  return form;
}

/** Why the stage waits, in one sentence. */
function why(item) {
  if (item.decision_sent) return "A decision was sent to the registry: waiting for its event.";
  const more = Math.max(0, item.approvals_required - item.approvals_collected);
  const live = item.deployment_status === "deployed" ? ` It is live in ${item.stage} meanwhile.` : "";
  return `${item.stage} waits for a decision: ${more} more approval${more === 1 ? "" : "s"} needed ` +
    `(${item.approvals_collected} of ${item.approvals_required} ${item.risk_tier ? `for a ${item.risk_tier} risk tier`
      : `: the risk “${item.model_risk || ""}” names no tier, so it takes the most any tier takes`}); ` +
    `waiting ${waited(item.waited_seconds)}${item.overdue ? ", past its SLA" : ""}.${live}`;
}

function part(title, cls, ...content) {
  return h("section", { class: `card-section ${cls}` }, h("h3", {}, title), ...content);
}

/** The card's story: alerts, gates, review, lineage, approvals so far, the previous decision. */
function story(item) {
  const parts = [h("p", { class: "why" }, why(item))];
  for (const alert of item.alerts || []) {
    parts.push(h("p", { class: "note note-error card-alert" }, alertWords(alert, alert.stage)));
  }
  const gates = item.gates;
  if (gates && gates.results) {
    const failed = gates.results.filter((g) => g.outcome === "fail");
    parts.push(part("Policy gates", "card-gates", failed.length
      ? h("ul", {}, failed.map((g) => h("li", {}, `✖ ${GATE_RULES[g.rule] || g.rule}: ${g.reason}`)))
      : h("p", {}, `✔ every gate passed (${time(gates.evaluated_at)})`)));
  }
  if (item.review) {
    const r = item.review;
    parts.push(part("Periodic review", "card-review", h("p", {}, `${r.state}: next due ${time(r.next_review_due)}` +
      (r.last_at ? `; last by ${r.last_by} ${time(r.last_at)}: “${r.last_comment || ""}”` : ""))));
  }
  if (item.lineage || (item.lineage_missing || []).length) {
    const l = item.lineage || {};
    const said = [l.training_job && `training job ${l.training_job.split("/").pop()}`,
      l.datasets && `${l.datasets.length} dataset${l.datasets.length === 1 ? "" : "s"}`,
      l.code_repository && `code ${l.code_repository}${l.code_commit ? ` @ ${l.code_commit.slice(0, 12)}` : ""}`]
      .filter(Boolean).join(", ");
    const missing = (item.lineage_missing || []).length ? ` Not recorded: ${item.lineage_missing.join(", ")}.` : "";
    parts.push(part("Lineage", "card-lineage", h("p", {}, said ? `${said}.${missing}` : missing.trim())));
  }
  parts.push(part("Approvals so far", "card-approvals", item.approvals.length
    ? h("ul", { class: "approvers" }, item.approvals.map((a) => h("li", {}, `${a.by} (${time(a.at)}): “${a.comment}”`)))
    : h("p", {}, "none yet")));
  const last = item.previous_decision;
  if (last) {
    parts.push(part("Previous decision", "card-previous",
      h("p", {}, `${last.decision === "approve" ? "approved" : "rejected"} by ${last.by} ${time(last.at)}: “${last.comment}”`)));
  } else if (item.stage_description) {
    parts.push(part("Previous decision", "card-previous", h("p", {}, `in the registry: “${item.stage_description}”`)));
  }
  return parts;
}

function card(ctx, item, reload) {
  const link = `#/models/${encodeURIComponent(item.model_group)}/${item.model_version}`;
  return h("article", { class: "card queue-item", "data-model": `${item.model_group}/${item.model_version}`,
    "data-stage": item.stage, "data-key": key(item) },
  h("h2", {}, h("a", { href: link }, `${item.model_group} v${item.model_version}`), " ",
    h("span", { class: "stage-name" }, item.stage)),
  h("dl", { class: "facts" },
    h("dt", {}, "Waiting"), h("dd", {}, waited(item.waited_seconds)),
    h("dt", {}, "Risk"), h("dd", {}, tier(item.model_risk) || "not set"),
    h("dt", {}, "Approvals"), h("dd", { class: "approval-count" }, `${item.approvals_collected} of ${item.approvals_required}`),
    h("dt", {}, "Owner"), h("dd", {}, item.model_owner || "—"),
    h("dt", {}, "Use case"), h("dd", {}, item.use_case_name || item.use_case_id || "—"),
    h("dt", {}, "Deployment"), h("dd", {}, item.deployment_status || "none")),
  ...story(item),
  item.decision_sent ? null : ctx.may("decide") ? decisionForm(ctx, item, reload) : null);
}

export async function approvalsView(main, ctx) {
  document.title = "Awaiting approval — govsync";
  let order = [];
  const draw = async (decided) => {
    const pending = (await ctx.refreshPending()) ?? (await ctx.api.get("approvals/pending")).pending;
    const heading = h("h1", { tabindex: "-1", id: "queue-heading" }, "Awaiting approval");
    ctx.show(heading,
      h("p", { class: "muted" }, `Oldest first. ${pending.length} stage${pending.length === 1 ? "" : "s"} waiting.`),
      ctx.may("decide") ? null
        : message("info", `You may read the queue; deciding takes the group approvers or admins (yours: ${ctx.me.groups.join(", ") || "none"}).`),
      pending.length ? h("div", { class: "queue" }, pending.map((item) => card(ctx, item, draw)))
        : message("info", "Nothing is waiting for a decision."));
    const before = order;
    order = pending.map(key);
    if (decided) {
      // the keyboard goes on: the first card after the decided one that is still here, else the heading
      const still = new Set(order);
      const next = before.slice(before.indexOf(decided) + 1).find((k) => still.has(k));
      const target = next && main.querySelector(`.queue-item[data-key="${CSS.escape(next)}"] h2 a`);
      (target || heading).focus();
    }
  };
  await draw();
}
