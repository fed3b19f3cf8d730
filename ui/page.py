"""What the page carries besides its components: the style sheet (light and dark, phone layout) and the one
script of the app (:data:`SCRIPT`, Gradio's ``js=``), which

- turns a click on an answer's ``[n]`` link into a scroll to card ``n`` of the sources panel and a flash of it
  (waiting for the panel when the answer is an earlier one: clicking it asks the server for its sources), the
  cards unfolded first when they were folded;
- makes the greeting's example questions ask themselves;
- gives the chat's copy button clean text (``[1]``, not ``\\[1\\]``, and the sources list, without Markdown);
- scrolls the document viewer to the passage once it is shown;
- switches Gradio's interface language (``window.ucaSetLocale``) and keeps the page at the top when it opens.

No text of a document or a user reaches this script as code: it reads the DOM the server wrote (escaped).
"""

CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto !important; }
#uca-header { padding: 6px 4px 2px; }
#uca-header h1 { font-size: 1.55rem; font-weight: 700; margin: 0; letter-spacing: -0.01em; }
#uca-header h1 .uca-accent { color: var(--color-accent); }
#uca-header p { margin: 4px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
#uca-top { align-items: flex-start; }
#uca-lang { flex: 0 0 auto !important; min-width: 0 !important; max-width: 260px; }
.uca-panel-title { font-weight: 650; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--body-text-color-subdued); margin: 2px 2px 6px; }
#uca-examples-box { gap: 2px !important; }
#uca-input { align-items: center; flex-wrap: nowrap !important; }
#uca-input > * { min-width: 0 !important; }
#uca-send, #uca-clear { white-space: nowrap; }
#uca-examples { gap: 6px !important; flex-wrap: wrap !important; }
#uca-examples button { flex: 0 1 auto !important; min-width: 0 !important; font-weight: 500;
  border-radius: 999px !important; font-size: 0.82rem !important; padding: 4px 12px !important;
  white-space: normal; text-align: left; }
#uca-conv-row { align-items: center; flex-wrap: wrap !important; gap: 6px !important; }
#uca-conv-choice { min-width: 180px !important; }
#uca-conv-row button { flex: 0 0 auto !important; min-width: 0 !important; }
#uca-sources { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  background: var(--background-fill-secondary); padding: 10px; }
.uca-sources p { margin: 0 0 8px; }
.uca-empty p, .uca-refused p { color: var(--body-text-color-subdued); }
.uca-count { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.uca-fold > summary { cursor: pointer; list-style: none; margin: 0 0 8px; padding: 4px 0; user-select: none; }
.uca-fold > summary::-webkit-details-marker { display: none; }
.uca-fold > summary::before { content: "▾"; display: inline-block; width: 1.1em; }
.uca-fold:not([open]) > summary::before { content: "▸"; }
.uca-fold:not([open]) > summary { margin-bottom: 0; }
.uca-trace-id, .uca-trace-ms { font-size: 0.75rem; color: var(--body-text-color-subdued); }
.uca-query { font-size: 0.9rem; padding: 6px 10px; border-radius: 8px; background: var(--background-fill-primary);
  border: 1px dashed var(--border-color-primary); }
.uca-card { background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  border-radius: 10px; padding: 10px 12px; margin: 0 0 10px; box-shadow: 0 1px 2px rgba(0,0,0,.04);
  scroll-margin: 12px; }
.uca-card header { display: flex; align-items: flex-start; gap: 10px; margin-bottom: 6px; }
.uca-card footer { margin-top: 6px; }
.uca-card.uca-flash { animation: uca-flash 2.4s ease-out; }
@keyframes uca-flash { 0%, 35% { box-shadow: 0 0 0 3px var(--color-accent); background: var(--color-accent-soft); }
  100% { box-shadow: 0 1px 2px rgba(0,0,0,.04); } }
.uca-n { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 26px; height: 26px;
  border-radius: 50%; background: var(--color-accent); color: white; font-weight: 700; font-size: 0.85rem; }
.uca-where { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.uca-doc { font-weight: 600; font-size: 0.92rem; line-height: 1.3; }
.uca-file { font-weight: 400; color: var(--body-text-color-subdued); font-size: 0.8rem; margin-left: 4px; }
.uca-path { font-size: 0.82rem; color: var(--body-text-color-subdued); line-height: 1.3; }
.uca-badge { flex: none; font-size: 0.72rem; padding: 2px 8px; border-radius: 999px; white-space: nowrap; }
.uca-ok { background: #e7f6ec; color: #1d6b36; }
.uca-warn { background: #fff4e0; color: #8a5300; }
.uca-passage, .uca-view-text { white-space: pre-wrap; font-size: 0.88rem; line-height: 1.5;
  color: var(--body-text-color); overflow-wrap: anywhere; }
.uca-passage .uca-h, .uca-view-text .uca-h { font-weight: 700; margin: 6px 0 2px; line-height: 1.3;
  white-space: normal; }
.uca-passage h3.uca-h, .uca-view-text h3.uca-h { font-size: 1.05rem; }
.uca-passage h4.uca-h, .uca-view-text h4.uca-h { font-size: 0.98rem; }
.uca-passage h5.uca-h, .uca-passage h6.uca-h, .uca-view-text h5.uca-h, .uca-view-text h6.uca-h { font-size: 0.92rem; }
mark.uca-support { background: #fff1a8; color: #1f2328; padding: 1px 2px; border-radius: 3px;
  box-shadow: inset 0 -2px 0 #f2c200; }
mark strong.uca-answer { background: inherit; color: inherit; font-weight: 700; }
del.uca-planted { color: var(--body-text-color-subdued); text-decoration-color: #c0392b; }
mark.uca-view-passage { background: #e3ecff; color: #1f2328; border-radius: 3px; }
.dark mark.uca-support { background: #5b4a00; color: #fff6cc; box-shadow: inset 0 -2px 0 #d4a800; }
.dark mark.uca-view-passage { background: #1e3a6e; color: #e8efff; }
.dark .uca-ok { background: #173d25; color: #b8f0c9; }
.dark .uca-warn { background: #4a3000; color: #ffe0a8; }
button.uca-view { font-size: 0.8rem; padding: 2px 10px; border-radius: 999px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
button.uca-view:hover { border-color: var(--color-accent); }
#uca-viewer-box { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg); padding: 8px; }
.uca-viewer header { margin-bottom: 6px; }
.uca-page { display: inline-block; font-size: 0.75rem; color: var(--body-text-color-subdued);
  border-top: 1px dashed var(--border-color-primary); width: 100%; margin-top: 8px; }
.uca-view-note { font-size: 0.85rem; color: var(--body-text-color-subdued); }
#uca-chat a[href^="#uca-src-"] { text-decoration: none; font-weight: 600; }
#uca-chat a[href="#uca-ask"] { cursor: pointer; }
.uca-stats dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0 0 6px;
  font-size: 0.9rem; }
.uca-stats dt { color: var(--body-text-color-subdued); }
.uca-stats dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.uca-stats ul, .uca-near { margin: 4px 0 0 18px; font-size: 0.85rem; }
.uca-docs { overflow-x: auto; }
.uca-docs table { width: 100%; font-size: 0.82rem; border-collapse: collapse; }
.uca-docs th, .uca-docs td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--border-color-primary); }
.uca-docname { overflow-wrap: anywhere; }
.uca-results ul { margin: 4px 0 0 18px; font-size: 0.85rem; }
.uca-refused strong { color: #b42318; }
.dark .uca-refused strong { color: #ff9b8f; }
@media (max-width: 720px) {
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  #uca-main { flex-direction: column !important; }
  #uca-main > #uca-left, #uca-main > #uca-right { display: contents !important; }
  #uca-main > * , #uca-left > *, #uca-right > * { min-width: 0 !important; width: 100% !important; }
  #uca-conversations { order: 1; } #uca-chat { order: 2; } #uca-input { order: 3; }
  #uca-sources-title { order: 4; } #uca-sources { order: 5; } #uca-viewer-box { order: 6; }
  #uca-examples-box { order: 7; } #uca-settings { order: 8; } #uca-corpus { order: 9; }
  #uca-documents-panel { order: 10; }
  #uca-clear { display: none !important; }
  .uca-fold > summary { min-height: 32px; display: flex; align-items: center; font-size: 0.9rem; }
  .uca-card header { flex-wrap: wrap; }
  .uca-where { flex-basis: calc(100% - 40px); }
  #uca-conv-row { gap: 4px !important; }
}
"""

# Gradio's js= : run once when the page has loaded
SCRIPT = r"""
() => {
  if (window.ucaInstalled) return;
  window.ucaInstalled = true;
  const FLASH_MS = 2400, WAIT_MS = 15000, POLL_MS = 100;
  try { history.scrollRestoration = "manual"; } catch (e) {}
  window.scrollTo(0, 0);

  window.ucaSetLocale = async (code) => {
    if (!code) return;
    document.documentElement.lang = code;
    const url = performance.getEntriesByType("resource").map((e) => e.name)
      .find((n) => /\/assets\/core-[^/]*\.js$/.test(n));
    if (!url) return;
    try { (await import(url)).changeLocale(code); } catch (e) { console.warn("uca: locale", e); }
  };

  const flash = (card) => {
    const fold = card.closest("details.uca-fold");
    if (fold && !fold.open) fold.open = true;
    card.scrollIntoView({ block: "center", behavior: "instant" });
    card.classList.remove("uca-flash");
    void card.offsetWidth;
    card.classList.add("uca-flash");
    setTimeout(() => card.classList.remove("uca-flash"), FLASH_MS);
  };
  const flashWhenThere = (id) => {
    const t0 = Date.now();
    const look = () => {
      const card = document.getElementById(id);
      if (card) return flash(card);
      if (Date.now() - t0 < WAIT_MS) setTimeout(look, POLL_MS);
    };
    look();
  };

  // "view in document": once the viewer shows that passage, scroll its box (and the page) to it
  const showPassage = (key) => {
    const t0 = Date.now();
    const look = () => {
      const root = document.querySelector(`.uca-viewer[data-view="${CSS.escape(key)}"]`);
      const target = root && root.querySelector("#uca-view-target");
      if (!target || !target.getClientRects().length) {
        if (Date.now() - t0 < WAIT_MS) setTimeout(look, POLL_MS);
        return;
      }
      let box = target.parentElement;
      while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1
             && getComputedStyle(box).overflowY !== "visible")) box = box.parentElement;
      if (box && box !== document.body) {
        const r = target.getBoundingClientRect(), b = box.getBoundingClientRect();
        box.scrollTop += r.top - b.top - box.clientHeight / 3;
      }
      (document.getElementById("uca-viewer-box") || root).scrollIntoView({ block: "nearest", behavior: "instant" });
    };
    look();
  };

  document.addEventListener("click", (ev) => {
    const view = ev.target.closest && ev.target.closest("button[data-view]");
    if (view) showPassage(view.dataset.view);
    const a = ev.target.closest && ev.target.closest("a[href]");
    if (!a) return;
    const href = a.getAttribute("href") || "";
    if (href.startsWith("#uca-src-")) {
      ev.preventDefault();
      flashWhenThere(href.slice(1));
    } else if (href === "#uca-ask") {
      ev.preventDefault();
      ev.stopPropagation();
      const box = document.querySelector("#uca-question textarea");
      const send = document.querySelector("#uca-send");
      if (!box || !send) return;
      box.value = a.textContent;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      setTimeout(() => send.click(), POLL_MS);
    }
  }, true);

  // the chat's copy button copies the message's Markdown: give clean text instead
  const plain = (md) => md
    .replace(/\[(\\\[\d{1,3}\\\])\]\(#uca-src-[\w-]+\)/g, "$1")
    .replace(/\[([^\]]*)\]\(#uca-ask\)/g, "$1")
    .replace(/\*\*/g, "")
    .replace(/^> /gm, "")
    .replace(/\\([\\`*_\[\]#|~$<>&:@.\-!(){}+])/g, "$1")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  if (navigator.clipboard && navigator.clipboard.writeText) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => write(typeof text === "string" ? plain(text) : text);
  }
}
"""

# js_on_load of the sources panel: "view in document" buttons send their card to the server
SOURCES_JS = """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest && ev.target.closest('button[data-view]');
  if (b) trigger('click', {view: b.dataset.view});
});
"""
