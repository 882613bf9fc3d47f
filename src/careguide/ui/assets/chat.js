// careguide patient chat: citation links open their source in the source panel.
// Served by the app itself (/careguide-assets/chat.js); no external scripts.
(() => {
  if (window.careguideChat) return;
  window.careguideChat = true;
  let opener = null;

  function openSource(id) {
    const target = document.getElementById(id);
    if (!target) return false;
    document.querySelectorAll("details.cg-source").forEach((item) => {
      if (item !== target) {
        item.open = false;
        item.classList.remove("cg-current");
      }
    });
    target.open = true;
    target.classList.add("cg-current");
    const summary = target.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start", behavior: "smooth" });
    return true;
  }

  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest && event.target.closest('a[href^="#cg-source-"]');
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      opener = link;
      openSource(link.getAttribute("href").slice(1));
    },
    true,
  );

  // Escape inside a source closes it and goes back to the citation that opened it.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const source = event.target.closest && event.target.closest("details.cg-source");
    if (!source) return;
    source.open = false;
    source.classList.remove("cg-current");
    if (opener && document.body.contains(opener)) opener.focus();
  });
})();
