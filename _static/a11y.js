// Keyboard access to scrollable code revealed after load.
// The theme gives a scrollable code block or output tabindex=0 (so keyboard users can
// scroll it) at load and on resize only. Code inside a solution or a hidden input
// that the reader opens later is measured while hidden and stays unreachable; this
// re-checks whenever something is opened.
(() => {
  const SCROLLABLE = "pre, .cell_output > .output";
  const update = () => {
    document.querySelectorAll(SCROLLABLE).forEach((el) => {
      if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) {
        el.tabIndex = 0;
      }
    });
  };
  let timer;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(update, 50);
  };
  document.addEventListener("toggle", soon, true); // <details> opened or closed
  document.addEventListener("click", (event) => {
    if (event.target.closest("button.toggle-button, summary")) soon();
  });
  window.addEventListener("load", soon);
})();
