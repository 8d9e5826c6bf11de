// Inventory: every model version, a chip per stage, its metadata completeness and alerts; counts at
// the top; filters and search (applied here, on the API's pages of records).

import { chip, h, legend, message, replace, scrolls, stageState, tier } from "./dom.js";

// what a narrow screen leaves out of the table, keeping the version, its risk, its stages and its alerts
const WIDE_ONLY = new Set(["Use case", "Owner", "Account", "Metadata"]);
const STATUS_CHOICES = ["pending", "approved", "rejected", "deploying", "live", "failed", "retired"];

function versions(records) {
  const byVersion = new Map();
  for (const record of records) {
    const key = `${record.model_group}#${record.model_version}`;
    if (!byVersion.has(key)) {
      byVersion.set(key, { group: record.model_group, version: record.model_version, stages: {}, records: [] });
    }
    const entry = byVersion.get(key);
    entry.stages[record.model_stage] = record;
    entry.records.push(record);
  }
  return [...byVersion.values()].map((v) => {
    const first = v.records[0];
    return {
      ...v,
      useCase: first.use_case_name || first.use_case_id || "",
      useCaseId: first.use_case_id || "",
      risk: tier(first.model_risk),
      owner: first.model_owner || "",
      account: first.source_account || "",
      missing: first.metadata_missing || [],
      complete: first.metadata_complete,
      alerts: v.records.filter((r) => r.monitoring_alert && Object.keys(r.monitoring_alert).length),
    };
  }).sort((a, b) => a.group.localeCompare(b.group) || b.version - a.version);
}

function select(label, name, choices, query) {
  const wanted = query.get(name) || "";
  const options = choices.map((c) => (Array.isArray(c) ? c : [c, c]));
  const control = h("select", { name, id: `filter-${name}` }, h("option", { value: "" }, "any"),
    options.map(([value, text]) => h("option", { value, selected: value === wanted }, text)));
  return [h("span", { class: "filter" }, h("label", { for: control.id }, label), control)];
}

function distinct(rows, key) {
  return [...new Set(rows.map((r) => r[key]).filter(Boolean))].sort();
}

/** A count that links to the list it counts. */
function counter(label, value, id, href, hint) {
  return h("a", { class: "count", id, href }, h("span", { class: "count-value" }, String(value)),
    h("span", { class: "count-label" }, label), hint ? h("small", { class: "muted" }, hint) : null);
}

export async function inventoryView(main, ctx) {
  document.title = "Inventory — govsync";
  const stages = ctx.config.stages;
  const [records, pending] = await Promise.all([ctx.api.all("records?limit=500", "records"), ctx.refreshPending()]);
  const rows = versions(records);
  const last = stages.at(-1);
  const overdue = (pending || []).filter((p) => p.overdue).length;
  const reviews = (state) => rows.filter((r) => stageState(r.stages[last]) === "live"
    && r.stages[last].review && r.stages[last].review.state === state).length;
  const counts = h("section", { class: "counts", "aria-label": "Counts" },
    counter(`live in ${last}`, rows.filter((r) => stageState(r.stages[last]) === "live").length, "count-live",
      `#/inventory?stage=${encodeURIComponent(last)}&status=live`),
    counter("awaiting approval", (pending || []).length, "count-pending", "#/approvals"),
    counter("with alerts", rows.filter((r) => r.alerts.length).length, "count-alerts", "#/inventory?alerts=yes"),
    counter("approvals overdue", overdue, "count-overdue", "#/approvals", "waiting past their risk tier's SLA"),
    counter("reviews due", reviews("due"), "count-reviews-due", "#/inventory?review=due",
      `periodic reviews of live ${last} models`),
    counter("reviews overdue", reviews("overdue"), "count-reviews-overdue", "#/inventory?review=overdue",
      "past their review date"));

  const q = ctx.query || new URLSearchParams();
  const search = h("input", { type: "search", id: "filter-search", name: "search", placeholder: "group, owner, use case…" });
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter the inventory" },
    ...select("Stage", "stage", stages, q), ...select("Status", "status", STATUS_CHOICES, q),
    ...select("Risk", "risk", distinct(rows, "risk"), q), ...select("Use case", "usecase", distinct(rows, "useCaseId"), q),
    ...select("Account", "account", distinct(rows, "account"), q),
    ...select("Alerts", "alerts", [["yes", "with alerts"]], q),
    ...select("Review", "review", [["due", "due"], ["overdue", "overdue"]], q),
    h("span", { class: "filter" }, h("label", { for: search.id }, "Search"), search));
  const body = h("tbody");
  const shown = h("p", { class: "muted", role: "status", id: "inventory-shown" });
  const table = h("table", { class: "inventory", id: "inventory" },
    h("caption", { class: "visually-hidden" }, "Model versions"),
    h("thead", {}, h("tr", {},
      ["Model version", "Use case", "Risk", "Owner", "Account", "Stages", "Metadata", "Alerts"]
        .map((c) => h("th", { scope: "col", class: WIDE_ONLY.has(c) ? "wide-only" : null }, c)))),
    body);

  function matches(row, wanted) {
    const states = Object.entries(row.stages);
    const inStage = wanted.stage ? states.filter(([stage]) => stage === wanted.stage) : states;
    if (wanted.stage && !inStage.length) return false;
    if (wanted.status && !inStage.some(([, r]) => stageState(r) === wanted.status || r.model_status === wanted.status)) {
      return false;
    }
    if (wanted.risk && row.risk !== wanted.risk) return false;
    if (wanted.usecase && row.useCaseId !== wanted.usecase) return false;
    if (wanted.account && row.account !== wanted.account) return false;
    if (wanted.alerts && !row.alerts.length) return false;
    const review = row.stages[last] && stageState(row.stages[last]) === "live" ? row.stages[last].review : null;
    if (wanted.review && (!review || review.state !== wanted.review)) return false;
    const text = `${row.group} v${row.version} ${row.useCase} ${row.useCaseId} ${row.owner} ${row.risk}`.toLowerCase();
    return !wanted.search || text.includes(wanted.search.toLowerCase());
  }

  function draw() {
    const wanted = Object.fromEntries(new FormData(filters));
    const found = rows.filter((row) => matches(row, wanted));
    replace(body, found.map((row) => h("tr", { "data-model": `${row.group}/${row.version}` },
      h("th", { scope: "row" }, h("a", { href: `#/models/${encodeURIComponent(row.group)}/${row.version}` },
        `${row.group} v${row.version}`)),
      h("td", { class: "wide-only" }, row.useCase || "—"),
      h("td", {}, row.risk || "—"),
      h("td", { class: "wide-only" }, row.owner || "—"),
      h("td", { class: "wide-only" }, row.account || "—"),
      h("td", {}, h("div", { class: "chips" }, stages.map((stage) => chip(stage, row.stages[stage])))),
      h("td", { class: "wide-only" }, row.complete ? h("span", { class: "ok" }, "complete")
        : h("span", { class: "warn" }, `missing: ${row.missing.join(", ")}`)),
      h("td", {}, row.alerts.length ? h("span", { class: "alert-flag" }, `⚠ ${row.alerts.map((r) => r.model_stage).join(", ")}`) : "—"))));
    shown.textContent = `${found.length} of ${rows.length} model versions`;
  }

  filters.addEventListener("input", draw);
  filters.addEventListener("change", draw);
  filters.addEventListener("submit", (event) => event.preventDefault());
  ctx.show(h("h1", {}, "Inventory"), counts, filters, legend(), shown,
    rows.length ? scrolls("Model versions", table) : message("info", "No model version is registered yet."));
  draw();
}
