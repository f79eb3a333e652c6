// Progressive enhancement of the search page. Without this script every control works through
// the GET form (Search, Apply filters, Sort). With it:
// - results, counts and facets follow what the physician types or ticks, rendered by the
//   server's own templates (/search/results), with the URL kept shareable (replaceState),
//   focus kept and the new count announced (#search-status);
// - on a phone the filters open as a panel from the button at the top, are applied together,
//   and say how many activities they will show before they are applied (/search/count).
// Loaded in <head> so that the "js" class is set before the page is painted.
document.documentElement.classList.add("js");

(() => {
  const TYPING_PAUSE_MS = 300;
  const PHONE = window.matchMedia("(max-width: 48rem)");
  let form, results, filters, opener, closer, status;
  let pending = null; // the AbortController of the request in flight
  let shown = ""; // the query string the page shows now
  let typingTimer = 0;
  let panelSnapshot = null; // the filters as they were when the panel opened

  // The form's values as the URL holds them: empty fields and a radius without a place left out.
  function query() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") params.append(name, value);
    }
    if (!params.has("near")) params.delete("radius_mi");
    return params.toString();
  }

  function panelOpen() {
    return filters.classList.contains("open");
  }

  async function fetchJson(path, params) {
    if (pending) pending.abort();
    pending = new AbortController();
    const response = await fetch(`${path}?${params}`, {
      headers: { Accept: "application/json" },
      signal: pending.signal,
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response.json();
  }

  // What replacing a part of the page would lose: the focused control, open "more" lists.
  function remember() {
    const active = document.activeElement;
    const kept = { id: active && active.id, open: [] };
    // Where the control sat on the screen: groups above it may shrink when the counts change,
    // and the page should move with it rather than leave the reader somewhere else.
    if (active && active !== document.body) kept.top = active.getBoundingClientRect().top;
    if (active && typeof active.selectionStart === "number") {
      try {
        kept.selection = [active.selectionStart, active.selectionEnd];
      } catch (_) {
        // inputs of type number or date have no selection
      }
    }
    for (const details of filters.querySelectorAll("details[open]")) kept.open.push(details.id);
    return kept;
  }

  function restore(kept) {
    for (const id of kept.open) {
      const details = document.getElementById(id);
      if (details) details.open = true;
    }
    const again = kept.id && document.getElementById(kept.id);
    if (again && typeof kept.top === "number") {
      window.scrollBy(0, again.getBoundingClientRect().top - kept.top);
    }
    if (again && again !== document.activeElement) {
      again.focus({ preventScroll: true });
      if (kept.selection && typeof again.setSelectionRange === "function") {
        try {
          again.setSelectionRange(...kept.selection);
        } catch (_) {
          // not a text field any more
        }
      }
    }
  }

  function announce(text) {
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  }

  async function update() {
    const params = query();
    if (params === shown) return;
    results.setAttribute("aria-busy", "true");
    let body;
    try {
      body = await fetchJson("/search/results", params);
    } catch (error) {
      if (error.name === "AbortError") return;
      form.submit(); // the plain GET form still works: let the browser load the page
      return;
    }
    const kept = remember();
    results.innerHTML = body.results;
    if (!panelOpen()) filters.innerHTML = body.filters;
    results.removeAttribute("aria-busy");
    shown = params;
    history.replaceState(null, "", body.url);
    document.title = body.title;
    opener.querySelector(".applied").textContent = body.applied ? ` (${body.applied})` : "";
    restore(kept);
    bindPanelButtons();
    announce(body.status);
  }

  async function updateCount() {
    const apply = document.getElementById("apply-filters");
    try {
      const body = await fetchJson("/search/count", query());
      apply.textContent = body.label;
    } catch (error) {
      if (error.name !== "AbortError") apply.textContent = "Apply filters";
    }
  }

  // -- the phone's filter panel ---------------------------------------------------------------

  function outside() {
    return [
      document.querySelector("header.site"),
      document.querySelector("footer.site"),
      document.querySelector(".skip"),
      form.querySelector(".searchbar"),
      form.querySelector(".toolbar"),
      results,
    ].filter(Boolean);
  }

  function openPanel() {
    panelSnapshot = filters.innerHTML;
    filters.classList.add("open");
    filters.setAttribute("role", "dialog");
    filters.setAttribute("aria-modal", "true");
    for (const element of outside()) element.inert = true;
    document.body.classList.add("panel-open");
    opener.setAttribute("aria-expanded", "true");
    bindPanelButtons();
    updateCount();
    document.getElementById("filters-heading").focus();
  }

  function closePanel({ apply }) {
    if (!apply && panelSnapshot !== null) filters.innerHTML = panelSnapshot;
    panelSnapshot = null;
    filters.classList.remove("open");
    filters.removeAttribute("role");
    filters.removeAttribute("aria-modal");
    for (const element of outside()) element.inert = false;
    document.body.classList.remove("panel-open");
    opener.setAttribute("aria-expanded", "false");
    const applyButton = document.getElementById("apply-filters");
    if (applyButton) applyButton.textContent = "Apply filters";
    opener.focus();
    if (apply) update();
  }

  function bindPanelButtons() {
    closer = document.getElementById("close-filters");
    const heading = document.getElementById("filters-heading");
    if (heading) heading.tabIndex = -1;
    if (closer) closer.hidden = !panelOpen();
  }

  // -- wiring ---------------------------------------------------------------------------------

  function start() {
    form = document.querySelector("form#search");
    if (!form) return;
    results = document.getElementById("results");
    filters = document.getElementById("filters");
    opener = document.getElementById("open-filters");
    status = document.getElementById("search-status");
    shown = query();
    opener.setAttribute("role", "button");
    opener.setAttribute("aria-expanded", "false");
    bindPanelButtons();

    opener.addEventListener("click", (event) => {
      if (!PHONE.matches) return; // a wide screen shows the filters beside the results
      event.preventDefault();
      openPanel();
    });

    form.addEventListener("click", (event) => {
      if (event.target.closest("#close-filters")) closePanel({ apply: false });
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      window.clearTimeout(typingTimer);
      if (panelOpen()) closePanel({ apply: true });
      else update();
    });

    form.addEventListener("input", (event) => {
      if (event.target.id !== "q") return;
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(update, TYPING_PAUSE_MS);
    });

    form.addEventListener("change", (event) => {
      if (event.target.id === "q") return; // typing is handled as it happens
      if (panelOpen() && filters.contains(event.target)) updateCount();
      else update();
    });

    // When the page is loaded the plain way after all (form.submit()), the URL holds the same
    // search: leave empty fields, and a radius without a place, out of it.
    form.addEventListener("formdata", (event) => {
      const data = event.formData;
      for (const name of new Set(data.keys())) {
        if (data.getAll(name).every((value) => value === "")) data.delete(name);
      }
      if (!data.has("near")) data.delete("radius_mi");
    });

    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && panelOpen()) closePanel({ apply: false });
    });

    PHONE.addEventListener("change", () => {
      if (!PHONE.matches && panelOpen()) closePanel({ apply: true });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
