// Injected by tests/docs/test_browser.py into a copy of a built page. Once MathJax has typeset
// the page (or at once on a page without math), it measures what a reader sees and writes it as
// JSON into <pre id="cnnref-probe">, which the test reads from Chromium's --dump-dom output.
(function () {
  "use strict";

  // Elements whose content must be readable in full: wider than their box is fine only when the
  // box scrolls sideways (overflow-x auto or scroll); "hidden" or "visible" overflow cuts the
  // content off or spills it over its neighbours.
  const MEASURED = 'pre, div.math, mjx-container[display="true"], table, dl.py > dt';

  function describe(element) {
    const text = (element.innerText || element.textContent || "").trim().replace(/\s+/g, " ");
    return element.tagName.toLowerCase() + ": " + text.slice(0, 80);
  }

  // Elements whose content is wider than their box: cut off unless the box scrolls sideways.
  function tooWide(scrolling) {
    const found = [];
    const viewport = document.documentElement.clientWidth;
    for (const element of document.querySelectorAll(MEASURED)) {
      const overflowX = getComputedStyle(element).overflowX;
      const scrolls = overflowX === "auto" || overflowX === "scroll";
      const wider = element.scrollWidth > element.clientWidth + 1;
      const rect = element.getBoundingClientRect();
      const cut = (wider && !scrolls) || rect.right > viewport + 1;
      if (scrolling ? wider && scrolls : cut) {
        found.push(describe(element));
      }
    }
    return found;
  }

  function report() {
    const body = document.querySelector("div.body") || document.body;
    const result = {
      mathSources: document.querySelectorAll("span.math, div.math").length,
      mathRendered: document.querySelectorAll("mjx-container").length,
      mathErrors: Array.from(document.querySelectorAll("mjx-merror"), describe),
      mathJaxLoaded: typeof window.MathJax === "object" && "startup" in window.MathJax,
      visibleText: body.innerText,
      links: Array.from(body.querySelectorAll("a[href]"), (a) => a.getAttribute("href")),
      paragraphs: Array.from(body.querySelectorAll("p"), (p) => p.innerText.trim()),
      ids: Array.from(document.querySelectorAll("[id]"), (element) => element.id),
      cutOff: tooWide(false),
      scrolls: tooWide(true),
    };
    const out = document.createElement("pre");
    out.id = "cnnref-probe";
    out.hidden = true;
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }

  window.addEventListener("load", function () {
    const startup = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    (startup || Promise.resolve()).then(report, report);
  });
})();
