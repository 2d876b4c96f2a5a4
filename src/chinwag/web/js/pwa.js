// The service worker from the page's side: registered on every start (so the shell is
// cached for offline starts), and a new version announced rather than swapped in under
// the running page. `apply()` lets the waiting version take over and reloads once it has.

const CHECK_EVERY_MS = 60 * 60 * 1000;
const RELOAD_ANYWAY_MS = 3000;

/**
 * @param {{onUpdateReady: (apply: () => void) => void}} hooks
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function startServiceWorker({ onUpdateReady }) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  const sw = navigator.serviceWorker;
  let applying = false;
  sw.addEventListener('controllerchange', () => {
    // Only the page that asked reloads by itself; others keep running their version and
    // still show the prompt (its button then just reloads).
    if (applying) location.reload();
  });
  let reg;
  try {
    reg = await sw.register('/sw.js', { scope: '/' });
  } catch (e) {
    console.warn('chinwag: no service worker, so no offline start', e);
    return null;
  }
  if (!reg) return null; // registration refused without an error (service workers blocked)
  const apply = () => {
    applying = true;
    const waiting = reg.waiting;
    if (!waiting) {
      location.reload(); // it has taken over already
      return;
    }
    waiting.postMessage({ type: 'skip-waiting' });
    // Should the switch not be seen (it happened between two looks), reload all the same:
    // the page is then served by whichever version controls it, whole.
    setTimeout(() => location.reload(), RELOAD_ANYWAY_MS);
  };
  let announced = null;
  const watch = (worker) => {
    if (!worker) return;
    const check = () => {
      // "installed" with a controller in place: a newer version than the one running.
      if (worker.state === 'installed' && sw.controller && announced !== worker) {
        announced = worker;
        onUpdateReady(apply);
      }
    };
    worker.addEventListener('statechange', check);
    check();
  };
  watch(reg.waiting);
  watch(reg.installing);
  reg.addEventListener('updatefound', () => watch(reg.installing));
  const update = () => reg.update().catch(() => { /* offline: next time */ });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) update(); });
  setInterval(update, CHECK_EVERY_MS);
  return reg;
}
