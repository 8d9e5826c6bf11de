// A model version: its stages, a timeline of who did what and when, why a deployment waits (the policy
// gates, in words) and any decision that counts for nothing, the governance attributes, artifacts,
// validation metrics, monitoring charts with the alert thresholds, deployments and the hash-chained
// audit trail. Refreshes itself while a decision or a deployment is on its way.

import { lineChart } from "./chart.js";
import { alertWords, chip, GATE_RULES as RULES, h, message, scrolls, tier, time } from "./dom.js";
import { reviewSection } from "./review.js";

const DECIMALS = (digits) => (v) => Number(v).toLocaleString("en", { maximumFractionDigits: digits });
const CHARTS = [
  { key: "model_latency_p90_us", title: "Model latency p90 (ms)", scale: 1 / 1000, format: DECIMALS(0) },
  { key: "invocation_5xx_rate", title: "Server error rate (%)", scale: 100, format: DECIMALS(2) },
  { key: "model_latency_avg_us", title: "Model latency average (ms)", scale: 1 / 1000, format: DECIMALS(0) },
  { key: "invocations", title: "Invocations per window", scale: 1, format: DECIMALS(0) },
];

function section(title, id, ...content) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...content);
}

function table(headers, rows, attrs = {}) {
  return scrolls(attrs.id ? attrs.id.replace(/-/g, " ") : headers.join(", "), h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows)));
}

function show(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** One line of the timeline per audit entry that says something to a person. */
function happened(entry) {
  const [stage, changes] = Object.entries(entry.changes || {})[0] || ["", {}];
  const after = (name) => (changes[name] || [])[1];
  const before = (name) => (changes[name] || [])[0];
  switch (entry.action) {
    case "registry-sync": {
      const [unauthorized, decided] = Object.entries(entry.changes).map(([s, c]) => [s, (c.registry_decision || [])[1]])
        .find(([, d]) => d && d.authorized === false) || [];
      const judged = unauthorized ? `${unauthorized} ${decided.status} in the registry by ${decided.by.join(", ")}: it counts for nothing` : null;
      if (entry.seq === 1) return `registered into ${stage}` + (judged ? `; ${judged}` : "");
      if (judged) return judged;
      if (before("model_status") !== after("model_status") && after("model_status")) {
        const opened = Object.keys(entry.changes).filter((s) => s !== stage && (entry.changes[s].model_stage || [])[0] === null);
        return `${stage} ${after("model_status")} in the registry` + (opened.length ? `; ${opened.join(", ")} opened` : "");
      }
      return null;
    }
    case "deploy-blocked": {
      const report = after("gates") || { results: [] };
      const failed = report.results.filter((g) => g.outcome === "fail").map((g) => RULES[g.rule] || g.rule);
      return `deployment into ${stage} blocked by the policy gates (${failed.join(", ")})`;
    }
    case "decision-approve":
    case "decision-reject": {
      const decision = (after("decisions") || []).at(-1) || {};
      return `${entry.action === "decision-approve" ? "approved" : "rejected"} ${stage}: “${decision.comment || ""}”`;
    }
    case "decision-refused": {
      const refusal = after("refused_decision") || {};
      return `refused to ${refusal.decision} ${stage}: ${refusal.reason}`;
    }
    case "deploy-kicked": {
      const d = after("deployment") || {};
      return `deployment into ${stage} started (account ${d.account}, ${d.action})`;
    }
    case "monitoring-metrics":
      return null;
    case "review-schedule": {
      const review = after("review");
      return review && review.state !== "scheduled" ? `${stage} periodic review ${review.state} (due ${time(review.next_review_due)})` : null;
    }
    case "approval-reminder":
      return `approvers reminded: ${stage} has waited past its SLA (${(after("approval_reminder") || {}).count}×)`;
    case "review": {
      const review = after("review") || {};
      return `${stage} reviewed: “${review.last_comment || ""}”; next review due ${time(review.next_review_due)}`;
    }
    case "retired": {
      const retirement = after("retirement") || {};
      return `retired ${stage}: “${retirement.comment || ""}”`;
    }
    case "rolled-back-by-sagemaker": {
      const d = after("deployment") || {};
      return `SageMaker rolled the update back in ${stage}: ${d.error || "an auto-rollback alarm went off"}`;
    }
    case "teardown": {
      const retirement = after("retirement") || {};
      return `${stage} after its retirement: ${retirement.result || retirement.teardown}`;
    }
    default: {
      const d = after("deployment");
      if (entry.action.startsWith("endpoint-") && d) {
        return d.status === "live" ? `live in ${stage} (${d.account}, ${d.endpoint_name})` : `${stage} endpoint ${d.endpoint_status || d.status}`;
      }
      return `${entry.action.replace(/-/g, " ")} (${stage})`;
    }
  }
}

// what the timeline leaves out (nothing a person did), said in words in the audit trail
const QUIET = { "registry-sync": "synced from the registry", "monitoring-metrics": "endpoint metrics recorded",
  "review-schedule": "review schedule checked" };

function sentence(entry) {
  return happened(entry) || QUIET[entry.action] || entry.action.replace(/-/g, " ");
}

/** The decisions still to be made, last on the timeline: what it waits for, since when, who approved so far. */
function waiting(version) {
  return Object.values(version.stages).filter((r) => r.model_status === "pending").map((r) => {
    const since = (r.deployment && r.deployment.requested_at) || r.registry_last_modified;
    const approved = (r.decisions || []).filter((d) => d.state === "collected").map((d) => d.by);
    const alert = Object.keys(r.monitoring_alert || {}).length ? " An alert is open on it." : "";
    return h("li", { class: "waiting", "data-action": "waiting" },
      h("time", { datetime: since }, time(since)), " ",
      h("span", { class: "what" }, `${r.model_stage} waits for a decision` +
        (approved.length ? ` (approved so far by ${approved.join(", ")})` : "") + `.${alert}`));
  });
}

function timeline(entries, version) {
  const items = entries.map((e) => ({ e, text: happened(e) })).filter((i) => i.text);
  return h("ol", { class: "timeline", id: "timeline" }, items.map(({ e, text }) =>
    h("li", { "data-action": e.action },
      h("time", { datetime: e.source_time }, time(e.source_time)), " ",
      h("span", { class: "what" }, text), " ", h("span", { class: "actor" }, `— ${e.actor}`))), waiting(version));
}

// the governance attributes in words (stored under the registry's metadata keys)
const ATTRIBUTES = {
  model_group: "Model group", model_version: "Version", model_stage: "Stage", model_status: "Decision",
  use_case_id: "Use case id", use_case_name: "Use case", use_case_stage: "Use case stage", model_owner: "Owner",
  model_lob: "Line of business", model_project: "Project", model_risk: "Risk tier",
  model_validation_metrics: "Validation metrics", model_monitoring_metrics: "Monitoring metrics",
  model_audit_timestamp: "Last changed", model_audit_user: "Last changed by", model_package_arn: "Model package",
  source_account: "Registered from account", deployment_status: "Deployment",
};
const WHEN = new Set(["model_audit_timestamp"]);

function attributes(version) {
  const stages = Object.keys(version.stages);
  return table(["Attribute", ...stages], version.attributes.map((name) => h("tr", { "data-attribute": name },
    h("th", { scope: "row" }, ATTRIBUTES[name] || name.replace(/_/g, " ")),
    stages.map((stage) => {
      const value = version.stages[stage][name];
      if (name.endsWith("_metrics")) {
        const count = Object.keys(value || {}).length;
        return h("td", {}, count ? `${count} values (below)` : "—");
      }
      if (WHEN.has(name)) return h("td", {}, time(value));
      return h("td", {}, name === "model_risk" ? tier(value) || "—" : show(value));
    }))), { id: "attributes" });
}

function artifacts(version) {
  if (!version.artifacts.length) return message("info", "No artifact is recorded.");
  return table(["Artifact", "Source", "Central copy", "Checksum", "Status"], version.artifacts.map((a) => h("tr", {},
    h("th", { scope: "row" }, a.name), h("td", { class: "uri" }, a.source_uri), h("td", { class: "uri" }, a.central_uri || "—"),
    h("td", { class: "uri" }, a.checksum || "—"),
    h("td", {}, `${a.status}${a.verified ? ` (verified: ${a.verified})` : ""}`))));
}

function validation(version) {
  const metrics = Object.entries(version.model_validation_metrics || {});
  if (!metrics.length) return message("info", "No validation metrics were registered with this version.");
  return table(["Metric", "Value"], metrics.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, show(v)))));
}

function alertsOf(version) {
  return Object.values(version.stages).filter((r) => Object.keys(r.monitoring_alert || {}).length).map((r) =>
    message("error", alertWords(r.monitoring_alert, r.model_stage)));
}
const OUTCOMES = { pass: "✔ passed", fail: "✖ failed", skip: "– does not apply" };

/** A decision made in the registry by someone who may not decide: it counts for nothing. */
function unauthorizedOf(version) {
  return Object.values(version.stages).filter((r) => r.registry_decision && r.registry_decision.authorized === false)
    .map((r) => message("error", `Unauthorized decision on ${r.model_stage}: ${r.registry_decision.by.join(", ")} ` +
      `${r.registry_decision.status} it in the registry. It counts for nothing: ${r.registry_decision.reason}.`));
}

/** Deployments the gates hold back, each with every reason. */
function blockedOf(version) {
  return Object.values(version.stages).filter((r) => r.deployment && r.deployment.status === "blocked" && r.gates)
    .map((r) => message("error", `Blocked: the deployment into ${r.model_stage} waits until the policy gates pass. ` +
      r.gates.results.filter((g) => g.outcome === "fail").map((g) => `${RULES[g.rule] || g.rule}: ${g.reason}.`).join(" ")));
}

function gatesTable(results, id) {
  return table(["Rule", "Outcome", "Seen", "Why"], results.map((g) => h("tr", { "data-rule": g.rule, "data-outcome": g.outcome },
    h("th", { scope: "row" }, RULES[g.rule] || g.rule), h("td", {}, OUTCOMES[g.outcome] || g.outcome),
    h("td", {}, show(g.value)), h("td", {}, g.reason))), { id, class: "gates" });
}

/** What the gates say now of the version's next deployment, then what they said at each deployment. */
function gates(version, now) {
  const parts = now ? [
    h("h3", {}, `Deploying into ${now.stage} now: ${now.blocked ? "it would wait" : "it would go ahead"}`,
      h("span", { class: "muted" }, ` · policy ${now.policy_version}`)),
    gatesTable(now.results, "gates-now")] : [];
  for (const r of Object.values(version.stages).filter((r) => r.gates && r.gates.results)) {
    parts.push(h("h3", {}, `At its deployment into ${r.model_stage}: ${r.gates.passed ? "every gate passed" : "blocked"}`,
      h("span", { class: "muted" }, ` · policy ${r.gates.policy_version}, ${time(r.gates.evaluated_at)}`)),
    gatesTable(r.gates.results, `gates-${r.model_stage}`));
  }
  return parts.length ? parts : [message("info", "The policy gates could not be read.")];
}

function deployments(version) {
  const rows = Object.values(version.stages).filter((r) => r.deployment && r.deployment.status).map((r) => {
    const d = r.deployment;
    const replaced = d.previous_version ? `v${d.previous_version}` : "—";
    const rollback = d.rolled_back_by === "sagemaker" ? `by SageMaker: ${d.error}`
      : d.rolled_back_from ? `rolled back from v${d.rolled_back_from}` : d.rollback ? `rollback ${d.rollback.status}` : "—";
    const endpoint = !d.strategy || d.strategy === "sagemaker-endpoint"; // the team's own tooling moves its traffic
    const guardrails = d.shadow_of ? `shadow of v${d.shadow_of}` : d.guardrails
      ? `${d.guardrails}${d.progress ? ` (${d.progress})` : ""}` : endpoint ? "all at once" : "—";
    return h("tr", { "data-stage": r.model_stage }, h("th", { scope: "row" }, r.model_stage), h("td", {}, d.account || "—"),
      h("td", {}, d.endpoint_name || "—"), h("td", { class: "deploy-status" }, r.deployment_status || d.status),
      h("td", {}, d.action || "—"), h("td", { class: "guardrails" }, guardrails), h("td", {}, replaced),
      h("td", { class: "rollback" }, rollback),
      h("td", {}, d.superseded_by ? `superseded by v${d.superseded_by} ${time(d.superseded_at)}` : time(d.deployed_at)));
  });
  if (!rows.length) return message("info", "Not deployed anywhere yet.");
  return table(["Stage", "Account", "Endpoint", "Status", "Action", "Traffic", "Replaced", "Rollback", "When"], rows,
    { id: "deployments" });
}

function auditTrail(audit) {
  const verified = audit.verification.verified;
  const mark = verified
    ? h("p", { class: "chain chain-ok", id: "chain" }, `✔ Chain verified: ${audit.verification.entries_checked} entries, head ${audit.head.hash.slice(0, 12)}…`)
    : h("p", { class: "chain chain-broken", id: "chain", role: "alert" },
      `✖ Chain broken at entry ${audit.verification.broken_seq}: ${audit.verification.reason}`);
  const rows = audit.entries.map((e) => h("tr", {},
    h("td", {}, String(e.seq)), h("td", {}, time(e.source_time)), h("td", {}, e.actor), h("td", { "data-action": e.action }, sentence(e)),
    h("td", {}, h("details", {}, h("summary", {}, Object.keys(e.changes || {}).join(", ") || "—"),
      h("dl", { class: "changes" }, Object.entries(e.changes || {}).flatMap(([stage, fields]) =>
        Object.entries(fields).map(([name, [was, now]]) => [h("dt", {}, `${stage}.${name}`),
          h("dd", {}, h("span", { class: "before" }, show(was)), " → ", h("span", { class: "after" }, show(now)))]))))),
    h("td", { class: "uri" }, e.hash.slice(0, 12))));
  return [mark, table(["#", "When", "Who", "What", "Before → after", "Hash"], rows, { id: "audit" })];
}

async function monitoring(ctx, group, version) {
  const deployed = Object.values(version.stages).filter((r) => r.deployment && r.deployment.endpoint_name);
  if (!deployed.length) return [message("info", "No deployment, so no monitoring yet.")];
  const parts = [];
  for (const record of deployed) {
    const data = await ctx.api.get(`models/${encodeURIComponent(group)}/versions/${version.model_version}/metrics?stage=${encodeURIComponent(record.model_stage)}&days=30`);
    if (!data.points.length && record.deployment_status !== "deployed") continue; // gone, nothing kept
    parts.push(h("h3", {}, `${record.model_stage} (${record.deployment.endpoint_name}, ${record.deployment_status})`));
    if (!data.points.length) {
      parts.push(message("info", `No metrics collected in ${record.model_stage} in the last 30 days.`));
      continue;
    }
    const charts = CHARTS.filter((c) => data.points.some((p) => p.values[c.key] !== undefined)).map((c) => lineChart({
      id: `chart-${record.model_stage}-${c.key}`,
      title: c.title,
      points: data.points.map((p) => ({ t: p.window_end, v: (p.values[c.key] ?? 0) * c.scale })),
      threshold: data.thresholds[c.key] === undefined ? null : data.thresholds[c.key] * c.scale,
      format: c.format,
    }));
    parts.push(h("div", { class: "charts" }, charts));
  }
  return parts.length ? parts : [message("info", "No metrics kept for this version's deployments.")];
}

function inFlight(version) {
  return Object.values(version.stages).some((r) => r.deployment_status === "deploying" ||
    (r.decisions || []).some((d) => d.state === "sent"));
}

export async function versionView(main, ctx) {
  const [group, number] = ctx.args;
  document.title = `${group} v${number} — govsync`;
  const base = `models/${encodeURIComponent(group)}/versions/${encodeURIComponent(number)}`;
  const draw = async () => {
    const [version, audit, now] = await Promise.all([ctx.api.get(base), ctx.api.get(`${base}/audit`),
      ctx.api.get(`${base}/gates`).catch(() => null)]);
    const first = Object.values(version.stages)[0];
    const waits = Object.values(version.stages).some((r) => r.model_status === "pending");
    const reviewed = reviewSection(ctx, version, draw);
    const head = h("header", { class: "version-head" },
      h("h1", {}, `${group} v${number}`),
      h("p", { class: "chips", id: "stage-chips" }, ctx.config.stages.map((stage) => chip(stage, version.stages[stage]))),
      h("p", { class: "muted uri" }, version.model_package_arn),
      h("p", {}, `Use case ${first.use_case_name || first.use_case_id || "—"} · risk ${tier(first.model_risk) || "—"} · owner ${first.model_owner || "—"} · from account ${first.source_account}`,
        " ", waits && ctx.may("decide") ? h("a", { href: "#/approvals" }, "Decide in the approval queue") : null, " ",
        h("button", { type: "button", class: "secondary", onclick: () => draw() }, "Refresh")),
      inFlight(version) ? h("p", { class: "muted", role: "status" }, "A decision or a deployment is on its way: this page refreshes itself.") : null);
    ctx.show(head, ...alertsOf(version), ...unauthorizedOf(version), ...blockedOf(version),
      section("Timeline", "timeline-section", timeline(audit.entries, version)),
      section("Policy gates", "gates-section", ...gates(version, now)),
      ...(reviewed ? [section("Periodic review", "review-section", ...reviewed)] : []),
      section("Monitoring", "monitoring", ...(await monitoring(ctx, group, version))),
      section("Deployments", "deployment-section", deployments(version)),
      section("Governance attributes", "attributes-section", attributes(version)),
      section("Artifacts", "artifacts", artifacts(version)),
      section("Validation metrics", "validation", validation(version)),
      section("Audit trail", "audit-section", ...auditTrail(audit)));
    return version;
  };
  let last = await draw();
  ctx.every(4000, async () => {
    // only while something is on its way, and never under a reader's open details
    if (!inFlight(last) || main.querySelector("details[open]")) return;
    last = await draw();
  });
}
