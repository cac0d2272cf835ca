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

// A "copy" button: <button data-copy="#element" data-copied="已复制">. Where the clipboard is not
// available (an insecure origin, a refused permission), the text is selected for Ctrl+C instead.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const source = document.querySelector(button.dataset.copy);
  if (!source) {
    return;
  }
  const selectText = () => {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  };
  const done = () => {
    button.textContent = button.dataset.copied || "已复制";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.textContent.trim()).then(done, selectText);
  } else {
    selectText();
  }
});
