// The on-screen keyboard must not cover the composer. Where the browser resizes the layout
// for the keyboard (the viewport meta asks for `interactive-widget=resizes-content`), the
// CSS's 100dvh already does it; elsewhere (iOS Safari) only the visual viewport shrinks,
// so its height is mirrored into --app-height, which the layout uses instead.

export function trackViewport() {
  const vv = window.visualViewport;
  if (!vv) return;
  const root = document.documentElement;
  let frame = 0;
  const apply = () => {
    frame = 0;
    root.style.setProperty('--app-height', `${Math.round(vv.height * vv.scale)}px`);
  };
  const schedule = () => { if (!frame) frame = requestAnimationFrame(apply); };
  vv.addEventListener('resize', schedule);
  apply();
}
