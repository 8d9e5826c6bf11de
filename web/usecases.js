// Use cases: a board with a column per lifecycle stage; each card lists its models' states. People
// who manage use cases record a new one (it starts in POC) and advance or send one back, with a comment.

import { ApiError } from "./api.js";
import { chip, field, h, message, replace } from "./dom.js";

const LIFECYCLE = ["poc", "development", "qa", "preproduction", "production", "retired"];
const TITLES = { poc: "POC", development: "Development", qa: "QA", preproduction: "Preproduction",
  production: "Production", retired: "Retired" };

function decide(ctx, useCase, redraw) {
  const comment = h("input", { name: "comment", required: true, maxlength: 1024, id: `uc-comment-${useCase.use_case_id}` });
  const problem = h("div", { "aria-live": "polite" });
  const last = useCase.use_case_stage === "retired";
  const form = h("form", { class: "uc-decision", "aria-label": `Decide use case ${useCase.use_case_id}` },
    field("Comment", comment),
    h("div", { class: "buttons" },
      last ? null : h("button", { type: "submit", value: "advance" }, "Advance"),
      useCase.use_case_stage === "poc" ? null : h("button", { type: "submit", value: "reject", class: "danger" }, "Send back")),
    problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!comment.value.trim()) {
      replace(problem, message("error", "Say why: a decision takes a comment."));
      return;
    }
    try {
      const answer = await ctx.api.post(`usecases/${encodeURIComponent(useCase.use_case_id)}/decisions`,
        { decision: event.submitter?.value || "advance", comment: comment.value.trim(), from_stage: useCase.use_case_stage });
      ctx.toast(`${answer.use_case_name || answer.use_case_id} is now in ${answer.use_case_stage}.`);
      await redraw();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(problem, message("error", `Refused: ${error.message}`));
    }
  });
  return form;
}

function createForm(ctx, redraw) {
  const inputs = {
    id: h("input", { name: "id", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}", placeholder: "uc-credit-risk" }),
    name: h("input", { name: "name", required: true, maxlength: 256 }),
    owner: h("input", { name: "owner", required: true, maxlength: 256, placeholder: "owner@example.com" }),
    lob: h("input", { name: "lob", required: true, maxlength: 128 }),
    description: h("textarea", { name: "description", rows: 2, maxlength: 4096 }),
  };
  const problem = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card new-use-case", id: "new-use-case", "aria-labelledby": "new-uc-title" },
    h("h2", { id: "new-uc-title" }, "Record a use case"),
    h("div", { class: "grid" }, field("Id", inputs.id, "Letters, digits, . _ -"), field("Name", inputs.name),
      field("Owner", inputs.owner), field("Line of business", inputs.lob), field("Description", inputs.description)),
    problem, h("button", { type: "submit" }, "Record in POC"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value.trim()]));
    try {
      const created = await ctx.api.post("usecases", body);
      ctx.toast(`Use case ${created.use_case_id} recorded in POC.`);
      await redraw();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(problem, message("error", `Not recorded: ${error.message}`));
    }
  });
  return form;
}

export async function useCasesView(main, ctx) {
  document.title = "Use cases — govsync";
  const draw = async () => {
    const [{ usecases }, records] = await Promise.all([ctx.api.get("usecases"), ctx.api.all("records?limit=500", "records")]);
    const models = new Map();
    for (const record of records) {
      if (!record.use_case_id) continue;
      const key = `${record.model_group} v${record.model_version}`;
      const byModel = models.get(record.use_case_id) || new Map();
      byModel.set(key, { ...(byModel.get(key) || {}), [record.model_stage]: record });
      models.set(record.use_case_id, byModel);
    }
    const manage = ctx.may("manage-use-cases");
    const columns = LIFECYCLE.map((stage) => h("section", { class: "column", "data-lifecycle": stage, "aria-labelledby": `col-${stage}` },
      h("h2", { id: `col-${stage}` }, TITLES[stage]),
      usecases.filter((u) => u.use_case_stage === stage).map((u) => h("article", { class: "card uc", "data-use-case": u.use_case_id },
        h("h3", {}, u.use_case_name || u.use_case_id), h("p", { class: "muted" }, u.use_case_id),
        u.owner || u.lob ? h("p", {}, [u.owner, u.lob].filter(Boolean).join(" · ")) : null,
        u.description ? h("p", {}, u.description) : null,
        h("ul", { class: "uc-models" }, [...(models.get(u.use_case_id) || new Map()).entries()].map(([name, stages]) =>
          h("li", {}, h("a", { href: `#/models/${name.replace(" v", "/")}` }, name), " ",
            ctx.config.stages.map((s) => chip(s, stages[s]))))),
        manage ? decide(ctx, u, draw) : null))));
    ctx.show(h("h1", {}, "Use cases"),
      h("p", { class: "muted" }, "A use case advances on its own when all its models are approved in the stage it is in; people may advance it or send it back here."),
      manage ? createForm(ctx, draw) : null, h("div", { class: "board", id: "board", tabindex: "0", role: "region",
        "aria-label": "Use cases by stage" }, columns));
  };
  await draw();
}
