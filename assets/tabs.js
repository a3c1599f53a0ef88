/* The tool panels' tabs: a click shows its panel and hides the others. Which tab is open is
 * the browser's own business (no Dash property, nothing sent to the server); it is kept
 * across reloads in localStorage. */
(function () {
  "use strict";
  const KEY = "tpf-dashboard-tab";

  function open(name) {
    const tabs = document.querySelectorAll(".tool-tabs [data-tab]");
    if (!tabs.length) return false;
    let found = false;
    tabs.forEach(function (tab) {
      const on = tab.dataset.tab === name;
      found = found || on;
      tab.setAttribute("aria-selected", String(on));
      const panel = document.getElementById("panel-" + tab.dataset.tab);
      if (panel) panel.hidden = !on;
    });
    if (found) {
      try { window.localStorage.setItem(KEY, name); } catch (error) { /* private mode */ }
      // Plotly graphs drawn while hidden take their size now.
      window.dispatchEvent(new Event("resize"));
    }
    return found;
  }

  document.addEventListener("click", function (event) {
    const tab = event.target && event.target.closest && event.target.closest(".tool-tabs [data-tab]");
    if (tab) open(tab.dataset.tab);
  });

  function restore() {
    let saved = null;
    try { saved = window.localStorage.getItem(KEY); } catch (error) { saved = null; }
    if (!saved) return;
    if (!open(saved)) setTimeout(restore, 100);  // the layout has not arrived yet
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
  else restore();
  window.tpfTabs = { open: open };
})();
