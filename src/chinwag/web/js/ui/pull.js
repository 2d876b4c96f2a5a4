// Pull to load older messages: on a touch screen, dragging down while the list is at its
// top shows a hint and, past a threshold, asks for the previous page on release.

const THRESHOLD_PX = 64;

/**
 * @param {HTMLElement} scroller
 * @param {HTMLElement} indicator shows "Pull…" / "Release…" while dragging
 * @param {{enabled: () => boolean, onPull: () => void, signal: AbortSignal}} o
 */
export function attachPull(scroller, indicator, { enabled, onPull, signal }) {
  let startY = null;
  let pulled = 0;

  const show = (px) => {
    indicator.hidden = false;
    indicator.style.setProperty('--pull', `${px}px`);
    indicator.textContent = px >= THRESHOLD_PX ? 'Release to load older messages' : 'Pull to load older messages';
  };
  const hide = () => {
    indicator.hidden = true;
    indicator.style.setProperty('--pull', '0px');
  };

  scroller.addEventListener('touchstart', (e) => {
    startY = enabled() && scroller.scrollTop <= 0 && e.touches.length === 1 ? e.touches[0].clientY : null;
    pulled = 0;
  }, { passive: true, signal });

  scroller.addEventListener('touchmove', (e) => {
    if (startY === null) return;
    pulled = Math.max(0, (e.touches[0].clientY - startY) / 2); // resistance: half the finger's way
    if (pulled > 0 && scroller.scrollTop <= 0) {
      if (e.cancelable) e.preventDefault(); // the pull, not a bounce of the page
      show(Math.min(pulled, THRESHOLD_PX * 1.5));
    }
  }, { passive: false, signal });

  const finish = (release) => {
    if (startY === null) return;
    startY = null;
    hide();
    if (release && pulled >= THRESHOLD_PX) onPull();
  };
  scroller.addEventListener('touchend', () => finish(true), { signal });
  scroller.addEventListener('touchcancel', () => finish(false), { signal });
}
