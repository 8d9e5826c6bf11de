// Periodic review of a version live in the last stage: when it is due, where it stands, who reviewed it
// last and why; approvers record a review here (with their words), which sets the next due date.

import { ApiError } from "./api.js";
import { field, h, message, replace, time } from "./dom.js";

const STATE_WORDS = { scheduled: "scheduled", due: "due now", overdue: "overdue" };

function reviewForm(ctx, group, version, redraw) {
  const comment = h("textarea", { name: "comment", rows: 2, required: true, maxlength: 1024, id: "review-comment" });
  const result = h("div", { class: "decision-result", "aria-live": "polite" });
  const button = h("button", { type: "submit", id: "record-review" }, "Record review");
  const form = h("form", { class: "decision", id: "review-form", "aria-label": `Review ${group} v${version}` },
    field("What did the review find? (required)", comment), h("div", { class: "buttons" }, button), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!comment.value.trim()) {
      replace(result, message("error", "Say what the review found: a review takes a comment."));
      comment.focus();
      return;
    }
    button.disabled = true;
    try {
      const done = await ctx.api.post(`models/${encodeURIComponent(group)}/versions/${version}/reviews`,
        { comment: comment.value.trim() });
      ctx.toast(`Review recorded: the next one is due ${time(done.review.next_review_due)}.`);
      await redraw();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(result, message("error", `Refused: ${error.message}`));
      button.disabled = false;
    }
  });
  return form;
}

/** The section's content, or null where the version is not live in the last stage. */
export function reviewSection(ctx, version, redraw) {
  const last = ctx.config.stages.at(-1);
  const record = version.stages[last];
  if (!record || record.deployment_status !== "deployed") return null;
  const review = record.review && Object.keys(record.review).length ? record.review : null;
  const facts = review ? h("dl", { class: "facts", id: "review-facts" },
    h("dt", {}, "Next review"), h("dd", {}, `${time(review.next_review_due)} (every ${review.every_days} days for its risk tier)`),
    h("dt", {}, "State"), h("dd", { class: `review-${review.state}`, id: "review-state" }, STATE_WORDS[review.state] || review.state),
    h("dt", {}, "Last review"), h("dd", {}, review.last_at ? `${time(review.last_at)} by ${review.last_by}: “${review.last_comment}”` : "none yet"))
    : message("info", `Live in ${last}: its first review date is set by the next due-dates run.`);
  return [facts, ctx.may("decide") ? reviewForm(ctx, version.model_group, version.model_version, redraw) : null];
}
