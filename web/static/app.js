// Progressive enhancement only: every control also works by pressing Apply or Sort.
// Ticking a filter, changing the sort or a select submits the form at once.
document.addEventListener("change", (event) => {
  const field = event.target;
  const form = field.closest && field.closest("form.search");
  if (!form) return;
  if (field.matches("input[type=checkbox], input[type=radio], select")) form.requestSubmit();
});

// Leave empty fields (and a radius without a place) out of the URL, which holds the search.
document.addEventListener("formdata", (event) => {
  if (!event.target.matches("form.search")) return;
  const data = event.formData;
  for (const name of new Set(data.keys())) {
    if (data.getAll(name).every((value) => value === "")) data.delete(name);
  }
  if (!data.has("near")) data.delete("radius_mi");
});
