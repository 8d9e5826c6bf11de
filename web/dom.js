// Building the page safely: every value goes in as text (never as HTML), and the few formats the
// views share (times, waits, status chips).

const SVG = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h("a", {href: "#/x", class: "link"}, "text", otherNode). */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element (the chart's). */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

export function replace(node, ...children) {
  node.replaceChildren();
  return build(node, {}, children);
}

/** A time in the viewer's locale and zone, the zone named ("7 Dec 2026, 02:10 UTC"). */
export function time(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return when.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit",
    minute: "2-digit", timeZoneName: "short" });
}

// the policy gates' rules, as people read them
export const GATE_RULES = {
  records_current: "Records current", separation_of_duties: "Separation of duties", approvers: "Approvers",
  risk_tier: "Risk tier", metadata_complete: "Metadata complete", model_card: "Model card",
  validation_metric: "Validation metric", reports: "Reports", lineage: "Lineage", no_open_alert: "No open alert",
};

/** A risk tier as one word however the registrant spelled it ("High", "high " -> "high"). */
export function tier(risk) {
  return String(risk || "").trim().toLowerCase();
}

// metric -> its name and unit as the charts show them (stored as fractions and microseconds)
const METRICS = {
  invocation_5xx_rate: ["server errors", 100, "%", 2], invocation_4xx_rate: ["client errors", 100, "%", 2],
  model_latency_p90_us: ["p90 model latency", 1 / 1000, " ms", 0],
  model_latency_avg_us: ["average model latency", 1 / 1000, " ms", 0],
  overhead_latency_avg_us: ["average overhead latency", 1 / 1000, " ms", 0],
};

/** A threshold breach in words and the charts' units: "server errors 3% over 2%". */
export function breachWords(breach) {
  const metric = METRICS[breach.metric];
  if (!metric) {
    return breach.metric === "monitor_violations"
      ? `Model Monitor schedule ${breach.value}: ${String(breach.threshold).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}`
      : `${breach.metric.replace(/_/g, " ")} ${breach.value} over ${breach.threshold}`;
  }
  const [name, scale, unit, digits] = metric;
  const show = (v) => `${(Number(v) * scale).toLocaleString(undefined, { maximumFractionDigits: digits })}${unit}`;
  // since: the window its run of breaches began in, as the chart marks it
  return `${name} ${show(breach.value)} over ${show(breach.threshold)}${breach.since ? ` since ${time(breach.since)}` : ""}`;
}

/** A live alert in one sentence: where, since when, and what breaches. */
export function alertWords(alert, stage) {
  return `Alert in ${stage}: ${alert.breaches.map(breachWords).join("; ")} ` +
    `(${alert.breaches.every((b) => b.since) ? "" : `open since ${time(alert.since)}; `}latest window ${time(alert.window_end)})`;
}

export function waited(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

export function ago(iso) {
  const when = Date.parse(iso || "");
  return Number.isNaN(when) ? "—" : waited(Math.max(0, Math.round((Date.now() - when) / 1000)));
}

/** What a stage is at, in one word, from its two facts: the decision and the deployment. */
export function stageState(record) {
  if (!record) return "none";
  const decision = record.model_status;
  const deployment = record.deployment_status;
  if (decision === "rejected" || decision === "retired") return decision;
  if (deployment === "deploying") return "deploying";
  if (deployment === "shadow") return "shadow";
  if (deployment === "deploy_failed" || deployment === "blocked") return "failed";
  if (deployment === "deployed") return "live";
  if (deployment === "superseded" || deployment === "rolled_back") return "retired";
  return decision || "none";
}

const LABELS = { none: "—", live: "live", failed: "failed", deploying: "deploying", shadow: "shadow test" };

/** A chip per stage: its state, and when live its decision (awaiting approval, approved). */
export function chip(stage, record) {
  const state = stageState(record);
  const decided = { pending: " · awaiting approval", approved: " · approved" };
  const awaiting = state === "live" || state === "shadow" ? decided[record.model_status] || "" : "";
  const detail = record
    ? `${stage}: decision ${record.model_status}, deployment ${record.deployment_status || "none"}`
    : `${stage}: not reached`;
  return h("span", { class: `chip chip-${state}`, title: detail, "data-stage": stage, "data-state": state },
    h("span", { class: "chip-stage" }, stage), " ", LABELS[state] || state, awaiting);
}

/** A region that scrolls sideways when its content is wider than the screen: it takes keyboard focus
 * (so that arrows scroll it) and is named for screen readers. */
export function scrolls(label, content) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label }, content);
}

export function message(kind, text) {
  return h("p", { class: `note note-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", {}, hint) : null);
}

// what each stage chip says, for the legend (in the page: hover text reaches neither keyboards nor touch)
const MEANINGS = [
  ["pending", "pending", "waits for a decision in this stage"],
  ["approved", "approved", "approved; not deployed (yet) in this stage"],
  ["deploying", "deploying", "its deployment into this stage is under way"],
  ["live", "live", "serves in this stage (“· awaiting approval”: serves, and the next decision on it is pending)"],
  ["shadow", "shadow test", "runs as a shadow beside the live version; the stage's approval promotes it"],
  ["failed", "failed", "its deployment failed, or the policy gates hold it back"],
  ["rejected", "rejected", "rejected in this stage"],
  ["retired", "retired", "retired, replaced by a newer version, or rolled back"],
  ["none", "—", "not reached this stage"],
];

/** The stage chips' legend: each state's chip and what it means. */
export function legend() {
  return h("details", { class: "legend", id: "legend" }, h("summary", {}, "What the stage chips mean"),
    h("dl", {}, MEANINGS.flatMap(([state, label, meaning]) => [
      h("dt", {}, h("span", { class: `chip chip-${state}` }, label)), h("dd", {}, meaning)])));
}
