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

export function time(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return when.toISOString().slice(0, 16).replace("T", " ") + " UTC";
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

export function message(kind, text) {
  return h("p", { class: `note note-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", {}, hint) : null);
}
