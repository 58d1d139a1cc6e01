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
