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

// On a phone the menu is one row that scrolls sideways: bring the current page's entry into view
// (after a page load, and after htmx swaps the menu with a new current entry).
const markMenuEnd = (list) => {
  list.classList.toggle("site-nav__list--end", list.scrollLeft + list.clientWidth >= list.scrollWidth - 2);
};
const showCurrentMenuEntry = () => {
  const list = document.querySelector("#site-nav ul");
  if (!list) {
    return;
  }
  const current = list.querySelector("[aria-current=page]");
  if (current && list.scrollWidth > list.clientWidth) {
    const entry = current.parentElement;
    list.scrollLeft = entry.offsetLeft - (list.clientWidth - entry.offsetWidth) / 2;
  }
  markMenuEnd(list);
  list.addEventListener("scroll", () => markMenuEnd(list), { passive: true });
};
document.addEventListener("DOMContentLoaded", showCurrentMenuEntry);
document.addEventListener("htmx:afterSettle", showCurrentMenuEntry);

// A "print" button: <button data-print> opens the browser's print dialog (the print stylesheet
// hides the menus and buttons).
document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-print]")) {
    window.print();
  }
});
