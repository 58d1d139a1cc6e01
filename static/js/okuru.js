// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Filter screen (lead lists): remove a condition row, then refresh the live preview.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove-row]");
  if (!button) return;
  const row = button.closest(".filter-row");
  const form = button.form || (row && row.closest("form"));
  if (!row || !form) return;
  row.remove();
  form.dispatchEvent(new Event("filter-changed"));
  const addButton = form.querySelector(".add-row");
  if (addButton) addButton.focus();
});

// A button that asks once before it acts (e.g. applying a template replaces subject and body).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Dialogs (test send): opened and closed by buttons, or open when the page arrives with their errors.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (dialog) dialog.showModal();
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer && closer.closest("dialog")) closer.closest("dialog").close();
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("dialog[data-open-on-load]").forEach((dialog) => dialog.showModal());
});

// A part of a form shown only for one choice (the composer's date field, only when "schedule" is chosen).
function applyShowWhen(root) {
  root.querySelectorAll("[data-show-when]").forEach((part) => {
    const [name, value] = part.dataset.showWhen.split("=");
    const form = part.closest("form");
    const chosen = form && form.querySelector(`input[name="${name}"]:checked`);
    part.hidden = !chosen || chosen.value !== value;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.form) applyShowWhen(event.target.form);
});
document.addEventListener("DOMContentLoaded", () => applyShowWhen(document));
