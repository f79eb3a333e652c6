// Progressive enhancement only: every control also works by pressing Apply or Sort.
// Ticking a filter, changing the sort or a select submits the form at once.
document.addEventListener("change", (event) => {
  const field = event.target;
  const form = field.closest && field.closest("form.search");
  if (!form) return;
  if (field.matches("input[type=checkbox], input[type=radio], select")) form.requestSubmit();
});
