// Export for auditors: the inventory as CSV, and the evidence pack as JSON (records, audit entries and
// chain proofs), optionally for a period. Downloaded with the user's token, saved as a file.

import { ApiError } from "./api.js";
import { field, h, message, replace } from "./dom.js";

async function save(ctx, path, fallbackName, status) {
  replace(status, message("info", "Preparing the download…"));
  try {
    const answer = await ctx.api.download(path);
    const disposition = answer.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || fallbackName;
    const url = URL.createObjectURL(await answer.blob());
    const link = h("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    replace(status, message("ok", `Downloaded ${name}.`));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    replace(status, message("error", `Not exported: ${error.message}`));
  }
}

export async function exportView(main, ctx) {
  document.title = "Export — govsync";
  if (!ctx.may("export")) {
    ctx.show(h("h1", {}, "Export"), message("info",
      `Exports are for the groups auditors and admins (yours: ${ctx.me.groups.join(", ") || "none"}).`));
    return;
  }
  const from = h("input", { type: "date", name: "from", id: "export-from" });
  const to = h("input", { type: "date", name: "to", id: "export-to" });
  const status = h("div", { "aria-live": "polite", id: "export-status" });
  const stamp = new Date().toISOString().slice(0, 10);
  const pack = () => {
    const query = new URLSearchParams({ format: "json" });
    if (from.value) query.set("from", `${from.value}T00:00:00+00:00`);
    if (to.value) query.set("to", `${to.value}T00:00:00+00:00`);
    return `export?${query}`;
  };
  ctx.show(h("h1", {}, "Export"),
    h("section", { class: "card" }, h("h2", {}, "Inventory (CSV)"),
      h("p", {}, "Every stage record with the 15 governance attributes first, then what govsync adds."),
      h("button", { type: "button", id: "export-csv", onclick: () => save(ctx, "export?format=csv", `govsync-records-${stamp}.csv`, status) },
        "Download the inventory")),
    h("section", { class: "card" }, h("h2", {}, "Evidence pack (JSON)"),
      h("p", {}, "Records, audit entries and the proof of each version's hash chain; optionally the entries of a period (UTC days, the end exclusive)."),
      h("div", { class: "grid" }, field("From", from), field("To", to)),
      h("button", { type: "button", id: "export-json", onclick: () => save(ctx, pack(), `govsync-evidence-${stamp}.json`, status) },
        "Download the evidence pack")),
    status);
}
