// After htmx replaces the main panel, move focus to the new page's heading, as a page load
// would: screen readers announce it and the next Tab starts from the top of the new content.
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  if (!target || target.id !== "main") {
    return;
  }
  const heading = target.querySelector("h1");
  if (heading && document.activeElement !== heading) {
    heading.focus({ preventScroll: true });
  }
});
